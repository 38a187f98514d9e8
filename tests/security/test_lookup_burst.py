"""Attack: a burst of refused lookups, reachable over IM without any token, to stall everyone.

Before the fix each lookup held a pooled connection while the audit and the pick list
opened another; 16 of them at once emptied the default pool (5 + 10), every other user
waited for the 30 s pool timeout and some refusals were never audited. Now a lookup
holds one session at a time. 200 concurrent refusals all leave their audit row and a
bystander asking for help during the burst is answered (how fast: bench/lookup_burst.py).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.app import OrgBot
from bot.cadres.demo import seed_demo
from bot.clock import ManualClock
from bot.dispatcher import ERROR_REPLY, TIMEOUT_REPLY
from bot.storage.models import AuditEntry, ConversationState
from tests.conftest import say

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

# (who, what): an existing ID out of reach, an unknown ID, a partial ID that brings a pick
# list (and so a dialogue-state write), and a guest.
REFUSALS = [
    ("demo_staff", "/培训 A1003"),
    ("demo_staff", "/干部 B0000"),
    ("demo_organizer", "/后备 1002"),
    ("im-guest", "/干部 A1002"),
]


async def test_200_concurrent_refusals_are_all_audited_and_a_bystander_is_answered(make_bot):
    bot: OrgBot = await make_bot(
        clock=ManualClock(NOW), ORGBOT_CADRES_LOOKUPS_PER_MINUTE="1000", ORGBOT_CADRES_LOOKUPS_PER_DAY="1000"
    )
    await seed_demo(bot)
    sends = [REFUSALS[i % len(REFUSALS)] for i in range(200)]
    burst = [asyncio.ensure_future(say(bot, who, text, chat=f"dm:{who}:{i}")) for i, (who, text) in enumerate(sends)]
    await asyncio.sleep(0)
    helped = await say(bot, "bystander", "/帮助")
    assert "可以帮您" in helped
    replies = await asyncio.gather(*burst)

    assert all(ERROR_REPLY not in r and TIMEOUT_REPLY not in r for r in replies)
    assert all("演示·王芳" not in r and "000000199009030022" not in r for r in replies)
    async with bot.db() as session:
        rows = list(await session.scalars(select(AuditEntry).where(AuditEntry.action.like("cadre.%"))))
        picks = list(
            await session.scalars(select(ConversationState).where(ConversationState.user_id == "demo_organizer"))
        )
    assert len(rows) == 200
    assert sorted((r.actor, r.query) for r in rows) == sorted(sends)
    assert {r.outcome for r in rows} == {"denied", "not_found"}
    assert len(picks) == 50  # every pick-list refusal kept its dialogue, in its own chat
    assert len(bot.lookup_turns) == 0  # nobody's turn is left behind
