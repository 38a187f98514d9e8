"""Reading the audit log: filters checked once, pages, exports audited, admins only."""

from __future__ import annotations

from datetime import date

import pytest
from openpyxl import load_workbook

from bot.access import Access
from bot.actor import Actor, NotPermitted, audit_alone
from bot.audit_service import AuditPage, AuditQueryError, audit_filter, export_log, read_log
from bot.roles import Role

ADMIN = Actor(Access("boss", Role.ADMIN), "console")


def test_filters_are_read_as_people_type_them():
    f = audit_filter(cadre="a1001", since="2026年11月1日", until="2026-11-30", action="cadre")
    assert (f.cadre, f.since, f.until, f.action) == ("A1001", date(2026, 11, 1), date(2026, 11, 30), "cadre")
    with pytest.raises(AuditQueryError, match="日期有误"):
        audit_filter(since="2026-13-01")
    with pytest.raises(AuditQueryError, match="早于"):
        audit_filter(since="2026-11-02", until="2026-11-01")


async def test_pages_run_from_the_newest(bot, tmp_path):
    for i in range(7):
        await audit_alone(bot, Actor(Access(f"u{i}", Role.STAFF), "terminal").record("cadre.training", "allowed"))
    first = await read_log(bot, ADMIN, audit_filter(action="cadre"), per_page=3)
    assert isinstance(first, AuditPage) and (first.total, first.pages) == (7, 3)
    assert [r.actor for r in first.rows] == ["u4", "u5", "u6"]
    third = await read_log(bot, ADMIN, audit_filter(action="cadre"), page=3, per_page=3)
    assert isinstance(third, AuditPage) and [r.actor for r in third.rows] == ["u0"]
    done = await export_log(bot, ADMIN, audit_filter(user="u3"), tmp_path / "a.xlsx")
    assert not isinstance(done, NotPermitted) and done.rows == 1
    assert load_workbook(tmp_path / "a.xlsx").active.max_row == 2
    exports = await read_log(bot, ADMIN, audit_filter(action="audit.export"))
    assert isinstance(exports, AuditPage) and [(r.actor, r.outcome) for r in exports.rows] == [("boss", "ok")]
    with pytest.raises(AuditQueryError):
        await export_log(bot, ADMIN, audit_filter(), tmp_path / "a.txt")


async def test_only_admins_read_the_log(bot, tmp_path):
    staff = Actor(Access("nosy", Role.ORGANIZER), "console")
    assert await read_log(bot, staff, audit_filter()) == NotPermitted("audit.read", Role.ADMIN)
    assert await export_log(bot, staff, audit_filter(), tmp_path / "a.csv") == NotPermitted("audit.export", Role.ADMIN)
    assert not (tmp_path / "a.csv").exists()
    page = await read_log(bot, ADMIN, audit_filter(user="nosy"))
    assert isinstance(page, AuditPage) and [(r.action, r.outcome) for r in page.rows] == [
        ("audit.read", "denied"),
        ("audit.export", "denied"),
    ]
