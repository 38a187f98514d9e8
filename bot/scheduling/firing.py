"""Queueing one fire of a schedule: the regular one (the service), 立即发送 and 催办 alike.

Every push of a fire goes to the outbox under a key made of the schedule, the fire's instant,
the recipient and the stage, so queueing the same fire twice sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduling import receipts
from bot.scheduling.models import Receipt, Schedule, ScheduleFire
from bot.scheduling.outbox import PushItem, enqueue, push_key
from bot.scheduling.push_text import compose
from bot.scheduling.rules import Fire, Policy, next_fires
from bot.scheduling.schedules import record, rule_of
from bot.scheduling.targets import TargetSpec, expand, load_targets
from bot.storage.models import Staff


@dataclass(frozen=True)
class RunNow:
    """What 立即发送 did. ``merged``: the schedule had already fired at this very instant (on its own
    or by another 立即发送), so this send was merged with it and nobody was queued a second copy."""

    recipients: int
    merged: bool = False


def keys_text(keys: set[str], existing: str | None = None) -> str:
    return " ".join(sorted(keys | set((existing or "").split())))[:191]


async def fired_at(session: AsyncSession, schedule_id: int, at: datetime) -> ScheduleFire | None:
    """The schedule's fire at exactly ``at``, if it has one (the unique key of ``schedule_fires``)."""
    return await session.scalar(
        select(ScheduleFire).where(ScheduleFire.schedule_id == schedule_id, ScheduleFire.fire_at == at)
    )


async def expand_fire(
    session: AsyncSession,
    schedule: Schedule,
    fire: Fire,
    now: datetime,
    policy: Policy,
    channels: list[str],
    only: Collection[str] | None = None,
) -> int:
    """Queue one fire of a schedule for each of its recipients (re-reminders: the unconfirmed only).

    ``only`` narrows a re-reminder to these people (an organizer's 催办 reaches their own units only).
    """
    if fire.stage == "rereminder":
        waiting = await session.scalars(
            select(Receipt.user_id).where(Receipt.schedule_id == schedule.id, Receipt.confirmed_at.is_(None))
        )
        specs = [TargetSpec("user", uid) for uid in waiting if only is None or uid in only]
    else:
        specs = load_targets(schedule.targets)
    recipients = await expand(session, specs, channels)
    if schedule.receipt and fire.stage != "rereminder":
        await receipts.register(session, schedule.id, recipients, now)
    text = compose(schedule, fire, policy, now)
    items = [
        PushItem(
            key=push_key(schedule.id, fire.at, r.key, fire.stage),
            target=r.target,
            text=text,
            fire_at=fire.at,
            recipient=r.person or r.name,
            schedule_id=schedule.id,
            urgent=schedule.urgent,
        )
        for r in recipients
    ]
    await enqueue(session, items, now)
    return len(items)


async def run_now(
    session: AsyncSession, schedule: Schedule, now: datetime, policy: Policy, channels: list[str], actor: str
) -> RunNow:
    """Queue the schedule's message now, in the caller's transaction. At the very instant it already
    fired (on its own or by another 立即发送) the two are merged: that fire's pushes stand and
    nothing is queued twice."""
    # Hold the schedule as fire_due does (PostgreSQL), so a regular fire at this instant is
    # either committed before the check below or waits and then finds this one.
    await session.refresh(schedule, with_for_update=True)
    already = await fired_at(session, schedule.id, now)
    if already is not None:
        await record(session, schedule, actor, "run-now", now, recipients=already.recipients, merged=True)
        return RunNow(already.recipients, merged=True)
    rule = rule_of(schedule)
    occurrence = None
    if rule.deadline:
        upcoming = next_fires(rule, policy, now, 1, urgent=schedule.urgent)
        occurrence = upcoming[0].occurrence if upcoming else None
    fire = Fire(now, "manual", occurrence)
    count = await expand_fire(session, schedule, fire, now, policy, channels)
    session.add(
        ScheduleFire(
            schedule_id=schedule.id, fire_at=now, stage="manual", outcome="sent", recipients=count, handled_at=now
        )
    )
    await record(session, schedule, actor, "run-now", now, recipients=count)
    return RunNow(count)


async def staff_names(session: AsyncSession) -> dict[str, str]:
    return dict((await session.execute(select(Staff.user_id, Staff.name))).all())
