"""The running service sends exactly what the preview showed — also across a config change.

On a manual clock and a real database: create a schedule, take the next five fires its
preview shows, move the clock to each and let the service tick; the fires recorded must be
exactly those. Midway the instance may restart under other quiet hours or holidays: from then
on it sends exactly what the new preview showed, and no occurrence goes out twice.
Fewer examples than the pure-rule properties (each one starts bots on a database).
"""

from __future__ import annotations

import os
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from bot.clock import ManualClock
from bot.scheduling import planner
from bot.scheduling import schedules as sched
from bot.scheduling.models import Schedule, ScheduleFire
from bot.scheduling.rules import Rule
from bot.scheduling.targets import TargetSpec
from tests.conftest import add_staff
from tests.scheduling.conftest import service_of
from tests.scheduling.strategies import PROPERTY_SETTINGS, moments, rules

CONFIGS = [
    {"ORGBOT_SCHEDULER_QUIET_START": "21:00", "ORGBOT_SCHEDULER_QUIET_END": "08:00"},
    {"ORGBOT_SCHEDULER_QUIET_START": "00:00", "ORGBOT_SCHEDULER_QUIET_END": "00:00"},
    {"ORGBOT_SCHEDULER_QUIET_START": "18:00", "ORGBOT_SCHEDULER_QUIET_END": "23:30"},
    {"ORGBOT_SCHEDULER_EXTRA_HOLIDAYS": "2026-12-14,2027-01-05,2027-02-08"},
    {"ORGBOT_SCHEDULER_EXTRA_WORKDAYS": "2026-12-19", "ORGBOT_SCHEDULER_QUIET_START": "22:00"},
]
SERVICE_EXAMPLES = max(4, int(os.environ.get("ORGBOT_PROPERTY_EXAMPLES", "150")) // 15)


async def _upcoming(bot, schedule_id: int, n: int) -> list[datetime]:
    async with bot.db() as session:
        schedule = await sched.get(session, schedule_id)
        if schedule.status != "active":
            return []
        result = await planner.upcoming(session, schedule, service_of(bot).policy, bot.clock.now(), n)
    return [f.at for f in result.fires]


async def _fires(bot, schedule_id: int) -> list[ScheduleFire]:
    async with bot.db() as session:
        rows = await session.scalars(
            select(ScheduleFire).where(ScheduleFire.schedule_id == schedule_id).order_by(ScheduleFire.fire_at)
        )
        return list(rows)


@settings(PROPERTY_SETTINGS, max_examples=SERVICE_EXAMPLES)
@given(
    rule=rules(),
    created=moments(),
    first=st.sampled_from(range(len(CONFIGS))),
    second=st.sampled_from(range(len(CONFIGS))),
    change_after=st.integers(0, 5),
    urgent=st.booleans(),
)
async def test_the_next_fires_shown_are_exactly_what_the_service_sends(
    make_bot, rule: Rule, created: datetime, first: int, second: int, change_after: int, urgent: bool
) -> None:
    clock = ManualClock(created)
    bot = await make_bot(clock=clock, **CONFIGS[first])
    await add_staff(bot, "zs", "张三")
    draft = sched.ScheduleDraft("性质检验", "", rule, [TargetSpec("user", "zs")], urgent=urgent)
    try:
        async with bot.db() as session, session.begin():
            schedule = await sched.create(session, draft, "admin1", created, service_of(bot).policy)
            schedule_id = schedule.id
    except sched.ScheduleError:
        await bot.stop()
        return  # past, or a choice the person must make: nothing is stored

    sent: list[datetime] = []
    shown = await _upcoming(bot, schedule_id, 5)
    for step in range(5):
        if step == change_after and step > 0:
            await bot.stop()
            bot = await make_bot(clock=clock, **CONFIGS[second])
            await service_of(bot).tick()  # the new leader recomputes stored fires
            shown = await _upcoming(bot, schedule_id, 5 - step)
        if not shown:
            break
        clock.set(shown[0])
        await service_of(bot).tick()
        fires = await _fires(bot, schedule_id)
        assert [f.fire_at for f in fires] == [*sent, shown[0]], (rule, step)
        sent.append(shown[0])
        shown = shown[1:]

    keys = [k for f in await _fires(bot, schedule_id) for k in (f.occurrence_keys or "").split()]
    assert len(keys) == len(set(keys)), keys
    # Leave nothing that later examples' ticks would fire.
    async with bot.db() as session, session.begin():
        await session.execute(update(Schedule).where(Schedule.id == schedule_id).values(status="deleted"))
    await bot.stop()
