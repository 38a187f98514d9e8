"""What a stored schedule will send next, given what it already sent and today's configuration.

A schedule's fires are identified by occurrence and rung (``Fire.key``), not by the instant
shifts gave them: the instant depends on the calendar, quiet hours and zone, which can change
between creation and firing. Every plan here skips keys already fired, so a fire that a new
configuration moves (later, earlier, into quiet hours) still goes out once — and the list, the
preview and the service all ask this module, so they agree.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduling.models import Schedule, ScheduleFire
from bot.scheduling.rules import Fire, Plan, Policy, plan
from bot.scheduling.schedules import rule_of, set_next

# How far back fired keys are looked up: beyond the longest backward shift plus the ladder.
LOOKBACK = timedelta(days=30)


async def fired_keys(session: AsyncSession, schedule: Schedule, since: datetime) -> set[str]:
    """Keys of the occurrences/rungs this schedule already sent (or reported missed) since ``since``."""
    ladder = max(rule_of(schedule).ladder, default=0)
    rows = await session.scalars(
        select(ScheduleFire.occurrence_keys).where(
            ScheduleFire.schedule_id == schedule.id,
            ScheduleFire.fire_at >= since - LOOKBACK - timedelta(days=ladder),
            ScheduleFire.occurrence_keys.is_not(None),
        )
    )
    return {key for row in rows if row for key in row.split()}


def plan_of(schedule: Schedule, policy: Policy, after: datetime, fired: set[str], n: int = 5) -> Plan:
    """The schedule's next ``n`` fires after ``after``: shifts never before the schedule was last
    set (``updated_at``), occurrences already sent skipped."""
    return plan(
        rule_of(schedule),
        policy,
        after,
        n,
        urgent=schedule.urgent,
        floor=schedule.updated_at,
        skip=lambda fire: bool(fire.keys & fired),
    )


async def upcoming(session: AsyncSession, schedule: Schedule, policy: Policy, now: datetime, n: int = 5) -> Plan:
    return plan_of(schedule, policy, now, await fired_keys(session, schedule, now), n)


async def replan(
    session: AsyncSession, schedule: Schedule, policy: Policy, now: datetime, grace: timedelta
) -> Fire | None:
    """Recompute the stored next fire under ``policy``.

    Looks back over the grace period (never before the schedule was last set): a fire the new
    calendar moved to a moment just past is then sent late rather than lost.
    """
    anchor = now - grace
    if schedule.next_fire_at is not None:
        anchor = min(anchor, schedule.next_fire_at)
    anchor = max(anchor, schedule.updated_at) - timedelta(seconds=1)
    fired = await fired_keys(session, schedule, anchor)
    fires = plan_of(schedule, policy, anchor, fired, 1).fires
    set_next(schedule, fires[0] if fires else None, policy)
    return fires[0] if fires else None


async def replan_stale(session: AsyncSession, policy: Policy, now: datetime, grace: timedelta) -> int:
    """Recompute every active schedule whose stored fire was planned under another configuration."""
    ids = list(
        await session.scalars(
            select(Schedule.id)
            .where(Schedule.status == "active", Schedule.plan_key != policy.key)
            .order_by(Schedule.id)
        )
    )
    for schedule_id in ids:
        schedule = await session.get(Schedule, schedule_id)
        if schedule is not None:
            await replan(session, schedule, policy, now, grace)
    return len(ids)


async def shown_next(session: AsyncSession, schedule: Schedule, policy: Policy, now: datetime) -> datetime | None:
    """The next fire a list shows: the stored one, or — planned under another configuration and not
    yet recomputed by the service — what the service will recompute, so list and preview agree."""
    if schedule.status != "active":
        return None
    if schedule.plan_key == policy.key:
        return schedule.next_fire_at
    fires = (await upcoming(session, schedule, policy, now, 1)).fires
    return fires[0].at if fires else None
