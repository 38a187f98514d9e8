"""Attack: beat the per-person lookup limit by sending many lookups at once.

Before the fix 60 concurrent lookups by one person got 49 answers against a limit of
20 a minute: every lookup counted the audit log before any of them had written to it.
Now the count and the audit row are one critical section per person, so a burst gets
exactly the limit, through the real message path and over HTTP against a running app.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.app import OrgBot
from bot.audit_record import audit_entry
from bot.cadres.demo import seed_demo
from bot.cadres.lookup_quota import RATE_LIMITED, admit
from bot.clock import ManualClock
from bot.storage.models import AuditEntry
from tests.conftest import say

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
LIMIT = 20
TOO_MANY = "查询过于频繁"


async def _outcomes(bot: OrgBot, actor: str) -> dict[str, int]:
    async with bot.db() as session:
        rows = await session.execute(
            select(AuditEntry.outcome, func.count()).where(AuditEntry.actor == actor).group_by(AuditEntry.outcome)
        )
        return {outcome: n for outcome, n in rows}


async def test_100_concurrent_lookups_by_one_person_allow_exactly_the_limit(make_bot):
    bot = await make_bot(clock=ManualClock(NOW), ORGBOT_CADRES_LOOKUPS_PER_MINUTE=str(LIMIT))
    await seed_demo(bot)
    replies = await asyncio.gather(*(say(bot, "demo_organizer", "/培训 A1003") for _ in range(100)))
    assert sum("演示·王芳" in r for r in replies) == LIMIT
    assert sum(TOO_MANY in r for r in replies) == 100 - LIMIT
    assert await _outcomes(bot, "demo_organizer") == {"allowed": LIMIT, RATE_LIMITED: 100 - LIMIT}
    # the limit is per person: somebody else is still answered
    assert "演示·张伟" in await say(bot, "demo_staff", "/我的培训")


async def test_a_burst_split_over_two_instances_on_one_database_still_gets_exactly_the_limit(make_bot):
    """Each instance queues a person's lookups in memory; only the database gate spans both."""
    env = {"ORGBOT_CADRES_LOOKUPS_PER_MINUTE": str(LIMIT)}
    first = await make_bot(clock=ManualClock(NOW), **env)
    await seed_demo(first)
    second = await make_bot(clock=ManualClock(NOW), **env)
    replies = await asyncio.gather(
        *(say(bot, "demo_organizer", "/培训 A1003") for _ in range(50) for bot in (first, second))
    )
    assert sum("演示·王芳" in r for r in replies) == LIMIT
    assert await _outcomes(first, "demo_organizer") == {"allowed": LIMIT, RATE_LIMITED: 100 - LIMIT}


async def test_the_database_gate_alone_admits_exactly_the_limit(make_bot):
    """100 transactions at once, as many instances would send them: no in-process queue in front."""
    bot = await make_bot(clock=ManualClock(NOW), ORGBOT_CADRES_LOOKUPS_PER_MINUTE=str(LIMIT))

    async def one() -> bool:
        async with bot.db() as session, session.begin():
            refused = await admit(session, "prober", NOW, bot.config.cadres)
            outcome = RATE_LIMITED if refused else "allowed"
            session.add(
                audit_entry(
                    at=NOW,
                    actor="prober",
                    actor_role="staff",
                    channel="terminal",
                    chat_id="dm:prober",
                    action="cadre.profile",
                    outcome=outcome,
                    query="/干部 A1003",
                )
            )
        return refused is None

    assert sum(await asyncio.gather(*(one() for _ in range(100)))) == LIMIT
    assert await _outcomes(bot, "prober") == {"allowed": LIMIT, RATE_LIMITED: 100 - LIMIT}


async def test_a_burst_over_http_against_a_running_app_gets_exactly_the_limit(make_bot):
    bot = await make_bot(clock=ManualClock(NOW), ORGBOT_CADRES_LOOKUPS_PER_MINUTE=str(LIMIT))
    await seed_demo(bot)
    auth = {"Authorization": "Bearer test-token"}
    async with TestClient(TestServer(bot.web_app())) as client:

        async def one() -> str:
            resp = await client.post(
                "/api/v1/chat", json={"user_id": "demo_organizer", "text": "/培训 A1003"}, headers=auth
            )
            assert resp.status == 200
            return "\n".join(r["text"] for r in (await resp.json())["replies"])

        replies = await asyncio.gather(*(one() for _ in range(100)))
    # however the API maps its caller to a person, one caller is one person to the limit
    assert sum(TOO_MANY in r for r in replies) == 100 - LIMIT
    async with bot.db() as session:
        refused = await session.scalar(select(func.count()).where(AuditEntry.outcome == RATE_LIMITED))
    assert refused == 100 - LIMIT


@settings(
    max_examples=6,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(limit=st.integers(1, 8), bursts=st.lists(st.integers(1, 24), min_size=1, max_size=3))
async def test_any_burst_by_several_people_gets_exactly_min_of_limit_and_burst(make_bot, limit, bursts):
    """Each person's burst alternates between two instances, so the in-process queue cannot be what holds."""
    env = {"ORGBOT_CADRES_LOOKUPS_PER_MINUTE": str(limit)}
    bots = [await make_bot(clock=ManualClock(NOW), **env), await make_bot(clock=ManualClock(NOW), **env)]
    bot = bots[0]
    people = [f"guest-{uuid.uuid4().hex[:8]}" for _ in bursts]
    sends = [
        say(bots[i % 2], person, "/培训 A1003") for person, n in zip(people, bursts, strict=True) for i in range(n)
    ]
    replies = await asyncio.gather(*sends)
    at = 0
    for person, n in zip(people, bursts, strict=True):
        mine, at = replies[at : at + n], at + n
        assert sum(TOO_MANY not in r for r in mine) == min(limit, n)
        counted = await _outcomes(bot, person)
        assert counted.get("denied", 0) == min(limit, n)
        assert counted.get(RATE_LIMITED, 0) == n - min(limit, n)
