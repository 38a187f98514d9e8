"""The cadre data service: admins only, audited, and an import with any bad row changes nothing."""

from __future__ import annotations

import csv
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.access import Access
from bot.actor import Actor, NotPermitted
from bot.cadres.data_service import export_register, import_sheets
from bot.cadres.importer import ImportReport
from bot.cadres.models import Cadre, TrainingRecord, Unit
from bot.roles import Role
from bot.storage.models import AuditEntry
from tests.scheduling.strategies import PROPERTY_SETTINGS

ADMIN = Actor(Access("boss", Role.ADMIN), "console")
CADRE_HEADERS = ["干部编号*", "姓名*", "单位编码*", "职务", "出生日期"]
TRAINING_HEADERS = ["干部编号*", "班次名称*", "开始日期*", "结束日期", "学时"]


def _csv(path: Path, headers: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([headers, *rows])
    return path


async def _audit(bot, actor: str) -> list[tuple[str, str]]:
    async with bot.db() as session:
        rows = await session.scalars(select(AuditEntry).where(AuditEntry.actor == actor).order_by(AuditEntry.id))
        return [(r.action, r.outcome) for r in rows]


async def test_only_admins_import_or_export_and_refusals_are_audited(demo_bot, tmp_path):
    organizer = Actor(Access("org", Role.ORGANIZER, units=frozenset({"U01"})), "console")
    sheet = _csv(tmp_path / "干部.csv", CADRE_HEADERS, [["A1001", "新名字", "U010101", "", ""]])
    assert await import_sheets(demo_bot, organizer, [sheet]) == NotPermitted("data.import", Role.ADMIN)
    assert await export_register(demo_bot, organizer, tmp_path / "out") == NotPermitted("data.export", Role.ADMIN)
    assert not (tmp_path / "out").exists()
    assert await _audit(demo_bot, "org") == [("data.import", "denied"), ("data.export", "denied")]
    async with demo_bot.db() as session:
        assert (await session.get(Cadre, "A1001")).name == "演示·张伟"


async def test_an_admin_import_and_export_are_reported_and_audited(demo_bot, tmp_path):
    sheet = _csv(tmp_path / "干部.csv", CADRE_HEADERS, [["A1001", "演示·张伟", "U010101", "科长", "1986-04-12"]])
    dry = await import_sheets(demo_bot, ADMIN, [sheet], dry_run=True)
    assert isinstance(dry, ImportReport) and dry.ok and not dry.applied
    report = await import_sheets(demo_bot, ADMIN, [sheet])
    assert isinstance(report, ImportReport) and report.applied
    assert report.changes["cadres"].updated == [("A1001 演示·张伟", ["职务：干部一科科长 → 科长"])]
    export = await export_register(demo_bot, ADMIN, tmp_path / "out", "csv")
    assert not isinstance(export, NotPermitted) and not export.full
    assert {f.path.name: f.rows for f in export.files}["干部.csv"] == 12
    assert await _audit(demo_bot, "boss") == [
        ("data.import", "dry_run"),
        ("data.import", "applied"),
        ("data.export", "masked"),
    ]


# --- an import with any bad row changes nothing ---------------------------------------------------

# Each way a row can be wrong, as (sheet, how to spoil a good row); the spoiled row is blamed, and
# nothing else but the training rows of a cadre whose own row was spoiled.
SPOILERS = {
    "empty name": ("cadres", lambda r: [r[0], "", *r[2:]]),
    "unknown unit": ("cadres", lambda r: [r[0], r[1], "U404", *r[3:]]),
    "bad date": ("cadres", lambda r: [*r[:4], "1990-02-30"]),
    "bad id": ("cadres", lambda r: ["不是编号", *r[1:]]),
    "unknown cadre": ("training", lambda r: ["Z9999", *r[1:]]),
    "ends before it starts": ("training", lambda r: [*r[:3], "2026-01-01", r[4]]),
    "hours not a number": ("training", lambda r: [*r[:4], "很多"]),
}


@st.composite
def imports(draw):
    cadres = [
        [
            f"A{2000 + i}",
            draw(st.sampled_from(["赵一", "钱二", "孙三"])),
            "U010101",
            draw(st.sampled_from(["科员", "科长"])),
            "",
        ]
        for i in range(draw(st.integers(1, 6)))
    ]
    cadres.append(["A1001", "演示·张伟", "U010101", draw(st.sampled_from(["新职务", "科长"])), ""])
    training = [
        [c[0], f"第{i}期培训班", "2026-03-02", "2026-03-20", str(draw(st.integers(1, 90)))]
        for i, c in enumerate(cadres)
        if draw(st.booleans())
    ]
    spoil = draw(st.sampled_from(sorted(SPOILERS)))
    sheet, spoiler = SPOILERS[spoil]
    target = cadres if sheet == "cadres" or not training else training
    if target is cadres and sheet == "training":
        spoiler = SPOILERS["empty name"][1]
    at = draw(st.integers(0, len(target) - 1))
    spoiled_id = target[at][0]
    target[at] = spoiler(target[at])
    spoiled = ("干部.csv" if target is cadres else "培训记录.csv", at + 2)
    blamed = {spoiled}
    if target is cadres:  # the training of a cadre whose row is refused refers to no known cadre
        blamed |= {("培训记录.csv", i + 2) for i, t in enumerate(training) if t[0] == spoiled_id}
    return cadres, training, spoiled, blamed


async def _snapshot(bot) -> tuple[list[tuple], list[tuple], list[tuple]]:
    async with bot.db() as session:
        cadres = [(c.cadre_id, c.name, c.unit_code, c.post, c.birth_date) for c in await session.scalars(select(Cadre))]
        training = [
            (t.cadre_id, t.course, t.start_date, t.hours) for t in await session.scalars(select(TrainingRecord))
        ]
        units = [(u.code, u.parent_code) for u in await session.scalars(select(Unit))]
    return sorted(cadres), sorted(training), sorted(units)


@settings(PROPERTY_SETTINGS, max_examples=max(10, PROPERTY_SETTINGS.max_examples // 5))
@given(case=imports())
async def test_an_import_with_any_bad_row_changes_nothing(demo_bot, tmp_path_factory, case) -> None:
    cadres, training, spoiled, blamed = case
    folder = tmp_path_factory.mktemp("sheets")
    files = [_csv(folder / "干部.csv", CADRE_HEADERS, cadres)]
    if training:
        files.append(_csv(folder / "培训记录.csv", TRAINING_HEADERS, training))
    before = await _snapshot(demo_bot)
    report = await import_sheets(demo_bot, ADMIN, files)
    assert isinstance(report, ImportReport) and not report.applied and report.issues
    named = {(i.where.split(" ")[0], i.row) for i in report.issues}
    assert spoiled in named and named <= blamed
    assert await _snapshot(demo_bot) == before
