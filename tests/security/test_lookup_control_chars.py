"""Attack: a NUL byte, another control character or a lone surrogate in a lookup.

PostgreSQL refuses NUL in text and no driver encodes a lone surrogate, so such a lookup
used to fail while writing its audit row and got the generic "出错了" reply, unaudited.
Now it gets a validation message in Chinese and its audit row, with the characters
written as visible escapes, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.audit_record import audit_entry, has_unstorable, storable
from bot.cadres.demo import seed_demo
from bot.clock import ManualClock
from bot.dispatcher import ERROR_REPLY
from bot.storage.models import AuditEntry
from tests.conftest import say

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
UNREADABLE = "无法识别的控制字符"
BAD_CHARS = st.characters(categories=["Cc", "Cs"], exclude_characters="\t\n\r")
PLAIN = st.text(st.characters(categories=["L", "N", "P", "Zs"]), max_size=8)


@pytest.fixture
async def admin_bot(make_bot):
    bot = await make_bot(
        clock=ManualClock(NOW), ORGBOT_CADRES_LOOKUPS_PER_MINUTE="1000", ORGBOT_CADRES_LOOKUPS_PER_DAY="1000"
    )
    await seed_demo(bot)
    return bot


async def _last_audit(bot) -> AuditEntry:
    async with bot.db() as session:
        row = await session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
    assert row is not None
    return row


@pytest.mark.parametrize(
    "text",
    [
        "/干部 A10\x0002",
        "/培训 A1002\x00",
        "/后备 \ud800A1002",
        "A1002\x00 的培训情况",
        "/干部 \x1b[31mA1002",
        "/我的培训 \x7f",
    ],
)
async def test_a_control_character_gets_a_validation_reply_and_an_audit_row(admin_bot, text):
    reply = await say(admin_bot, "demo_admin", text)
    assert UNREADABLE in reply and ERROR_REPLY not in reply
    assert "000000199009030022" not in reply
    row = await _last_audit(admin_bot)
    assert (row.actor, row.outcome, row.query) == ("demo_admin", "invalid", storable(text, 2000))
    assert "\\x" in row.query or "\\u" in row.query


@settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    command=st.sampled_from(["干部", "培训", "后备"]),
    before=PLAIN,
    bad=st.text(BAD_CHARS, min_size=1, max_size=3),
    after=PLAIN,
)
async def test_any_unstorable_character_anywhere_in_a_lookup_is_refused_and_audited(
    admin_bot, command, before, bad, after
):
    text = f"/{command} {before}{bad}{after}"
    reply = await say(admin_bot, "demo_admin", text)
    assert UNREADABLE in reply and ERROR_REPLY not in reply
    row = await _last_audit(admin_bot)
    assert row.outcome == "invalid" and row.query == storable(text, 2000)


@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.text(max_size=40))
async def test_any_text_at_all_lands_in_the_audit_log_as_its_visible_form(make_bot, text):
    bot = await make_bot()
    async with bot.db() as session, session.begin():
        session.add(
            audit_entry(
                at=NOW,
                actor=text,
                actor_role="guest",
                channel="http",
                chat_id=text,
                action="cadre.profile",
                outcome="invalid",
                query=text,
                subject=text[:64],
                detail=text,
            )
        )
    row = await _last_audit(bot)
    assert (row.actor, row.chat_id, row.query, row.detail) == (storable(text, 191),) * 2 + (storable(text, 2000),) * 2
    assert not has_unstorable(row.query + row.actor + (row.subject or ""))
