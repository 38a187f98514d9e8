"""Receipts (回执): who was asked to confirm a notice, and who did — each confirmation counted once.

A row with ``notified_at`` set is someone the notice was pushed to personally (a
person, unit, role or 全体 target): they are expected to confirm. A notice pushed to a
group chat has no member list; whoever replies “收到” in that group gets a row with
``notified_at`` empty — confirmed, but never counted as expected.

Organizers see the receipts of notices they created, and of notices that reached
people in their unit scope — but then only those people (``Scope``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, case, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import Access
from bot.identity import LOCAL_CHANNELS
from bot.roles import Role
from bot.scheduling.models import OutboxRow, Receipt, Schedule, ScheduleFire
from bot.scheduling.targets import Recipient, TargetSpec, expand, load_targets
from bot.storage.db import conflict_insert
from bot.storage.models import Staff
from knowledge.formula_guard import csv_value

GROUP_VIA = "群"


async def register(session: AsyncSession, schedule_id: int, recipients: Iterable[Recipient], now: datetime) -> None:
    """Expect a receipt from each person; someone already registered keeps their confirmation."""
    values = [
        {
            "schedule_id": schedule_id,
            "user_id": r.person,
            "name": r.name[:64],
            "notified_at": now,
            "confirmed_at": None,
            "confirmed_via": "",
        }
        for r in recipients
        if r.person
    ]
    if not values:
        return
    insert = conflict_insert(session.get_bind().dialect.name)
    for start in range(0, len(values), 500):
        stmt = insert(Receipt).values(values[start : start + 500])
        # Someone who confirmed in a group before being pushed to personally becomes expected too.
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["schedule_id", "user_id"],
                set_={"notified_at": func.coalesce(Receipt.notified_at, stmt.excluded.notified_at)},
            )
        )


async def unconfirmed_notices(session: AsyncSession, user_id: str) -> list[Schedule]:
    """Notices this person still has to confirm, newest first."""
    rows = await session.scalars(
        select(Schedule)
        .join(Receipt, Receipt.schedule_id == Schedule.id)
        .where(Receipt.user_id == user_id, Receipt.confirmed_at.is_(None), Schedule.status != "deleted")
        .order_by(Receipt.notified_at.desc(), Schedule.id.desc())
    )
    return list(rows)


@dataclass(frozen=True)
class Confirmation:
    confirmed: Schedule | None
    already: bool
    remaining: list[Schedule]


async def confirm(
    session: AsyncSession, user_id: str, now: datetime, via: str, schedule_id: int | None = None
) -> Confirmation:
    """Confirm the named notice, or the newest one still open; a second 收到 changes nothing."""
    pending = await unconfirmed_notices(session, user_id)
    if schedule_id is not None:
        chosen = next((s for s in pending if s.id == schedule_id), None)
        if chosen is None:
            done = await session.get(Receipt, (schedule_id, user_id))
            schedule = await session.get(Schedule, schedule_id) if done is not None else None
            return Confirmation(schedule, already=done is not None, remaining=pending)
    else:
        chosen = pending[0] if pending else None
    if chosen is None:
        last = await session.scalar(
            select(Schedule)
            .join(Receipt, Receipt.schedule_id == Schedule.id)
            .where(Receipt.user_id == user_id, Receipt.confirmed_at.is_not(None), Schedule.status != "deleted")
            .order_by(Receipt.confirmed_at.desc())
            .limit(1)
        )
        return Confirmation(last, already=last is not None, remaining=[])
    result = await session.execute(
        update(Receipt)
        .where(Receipt.schedule_id == chosen.id, Receipt.user_id == user_id, Receipt.confirmed_at.is_(None))
        .values(confirmed_at=now, confirmed_via=via[:64])
    )
    return Confirmation(
        chosen,
        already=not cast(CursorResult[Any], result).rowcount,
        remaining=[s for s in pending if s.id != chosen.id],
    )


# ---------------------------------------------------------------- group chats


def push_channel(channel: str) -> str:
    """The channel a push to this chat went out on: the terminal, HTTP and web share the local one."""
    return "local" if channel in LOCAL_CHANNELS else channel


async def group_notices(session: AsyncSession, channel: str, chat_id: str) -> list[Schedule]:
    """Notices asking for receipts that were pushed into this group chat, most recently pushed first."""
    pushed = (
        select(OutboxRow.schedule_id, func.max(OutboxRow.id).label("last"))
        .where(
            OutboxRow.channel == push_channel(channel),
            OutboxRow.chat_id == chat_id,
            OutboxRow.user_id == "",
            OutboxRow.schedule_id.is_not(None),
            OutboxRow.status.in_(("sent", "sending")),
        )
        .group_by(OutboxRow.schedule_id)
        .subquery()
    )
    rows = await session.scalars(
        select(Schedule)
        .join(pushed, pushed.c.schedule_id == Schedule.id)
        .where(Schedule.receipt.is_(True), Schedule.status != "deleted")
        .order_by(pushed.c.last.desc())
    )
    return list(rows)


async def _confirmed_ids(session: AsyncSession, user_id: str, notices: list[Schedule]) -> set[int]:
    rows = await session.scalars(
        select(Receipt.schedule_id).where(
            Receipt.user_id == user_id,
            Receipt.schedule_id.in_([s.id for s in notices]),
            Receipt.confirmed_at.is_not(None),
        )
    )
    return set(rows)


async def anything_open(session: AsyncSession, user_id: str, channel: str, chat_id: str, in_group: bool) -> bool:
    """Whether this person has a notice to confirm here: one pushed to them, or to this group chat."""
    if await unconfirmed_notices(session, user_id):
        return True
    if not in_group:
        return False
    notices = await group_notices(session, channel, chat_id)
    return bool(notices) and len(await _confirmed_ids(session, user_id, notices)) < len(notices)


async def confirm_in_group(
    session: AsyncSession,
    user_id: str,
    name: str,
    channel: str,
    chat_id: str,
    now: datetime,
    via: str,
    schedule_id: int | None = None,
) -> Confirmation | None:
    """Record a “收到” said in a group chat against the notice pushed there.

    None when this chat has no such notice open for the person (or not the one named):
    the caller then treats it as a personal confirmation.
    """
    notices = await group_notices(session, channel, chat_id)
    if not notices:
        return None
    done = await _confirmed_ids(session, user_id, notices)
    open_ = [s for s in notices if s.id not in done]
    if schedule_id is not None:
        chosen = next((s for s in notices if s.id == schedule_id), None)
        if chosen is None:
            return None
        if chosen.id in done:
            return Confirmation(chosen, already=True, remaining=open_)
    elif open_:
        chosen = open_[0]
    else:
        return None
    via = via[:64]
    row = await session.get(Receipt, (chosen.id, user_id))
    if row is None:
        stmt = (
            conflict_insert(session.get_bind().dialect.name)(Receipt)
            .values(
                schedule_id=chosen.id,
                user_id=user_id,
                name=name[:64],
                notified_at=None,
                confirmed_at=now,
                confirmed_via=via,
            )
            .on_conflict_do_nothing(index_elements=["schedule_id", "user_id"])
        )
        result = await session.execute(stmt)
    else:
        result = await session.execute(
            update(Receipt)
            .where(Receipt.schedule_id == chosen.id, Receipt.user_id == user_id, Receipt.confirmed_at.is_(None))
            .values(confirmed_at=now, confirmed_via=via)
            .execution_options(synchronize_session=False)
        )
    return Confirmation(
        chosen, already=not cast(CursorResult[Any], result).rowcount, remaining=[s for s in open_ if s.id != chosen.id]
    )


# ---------------------------------------------------------------- who may see what


@dataclass(frozen=True)
class Scope:
    """Whose receipts a viewer may see: everything (admin), or their own notices plus their units' people."""

    user_id: str
    units: frozenset[str] | None  # None: everything
    label: str = ""

    def units_for(self, schedule: Schedule) -> frozenset[str] | None:
        """None: the whole notice; otherwise only people in these units."""
        if self.units is None or schedule.created_by == self.user_id:
            return None
        return self.units


def scope_for(access: Access) -> Scope:
    """The receipts scope of a person whose access was worked out already (chat: ``ctx.access``)."""
    if access.role >= Role.ADMIN:
        return Scope(access.user_id, None)
    return Scope(access.user_id, access.units, access.unit_scope or "")


def _in_units(units: frozenset[str]):  # type: ignore[no-untyped-def]
    return exists(select(Staff.id).where(Staff.user_id == Receipt.user_id, Staff.unit.in_(sorted(units))))


async def may_see(session: AsyncSession, scope: Scope, schedule: Schedule) -> bool:
    """A viewer may see a notice they created, or one that reached someone in their units."""
    units = scope.units_for(schedule)
    if units is None:
        return True
    if not units:
        return False
    found = await session.scalar(
        select(Receipt.user_id).where(Receipt.schedule_id == schedule.id, _in_units(units)).limit(1)
    )
    return found is not None


@dataclass(frozen=True)
class NoticeCounts:
    schedule: Schedule
    scoped: bool
    expected: int
    confirmed: int
    in_group: int
    # Not sent yet: how many people it is meant to reach (None once it has gone out).
    planned: int | None = None

    @property
    def members_known(self) -> bool:
        """False for a notice sent only to group chats: nobody knows who is in them."""
        return any(s.kind != "group" for s in load_targets(self.schedule.targets))


async def overview(session: AsyncSession, scope: Scope, limit: int = 20, offset: int = 0) -> list[NoticeCounts]:
    """The newest notices asking for receipts that this viewer may see, with counts they may see."""
    query = (
        select(Schedule)
        .where(Schedule.receipt.is_(True), Schedule.status != "deleted")
        .order_by(Schedule.id.desc())
        .offset(offset)
        .limit(limit)
    )
    if scope.units is not None:
        reaches = (
            exists(select(Receipt.user_id).where(Receipt.schedule_id == Schedule.id, _in_units(scope.units)))
            if scope.units
            else None
        )
        mine = Schedule.created_by == scope.user_id
        query = query.where(mine if reaches is None else (mine | reaches))
    schedules = list(await session.scalars(query))
    counts: dict[int, tuple[int, int, int]] = {}
    full = [s.id for s in schedules if scope.units_for(s) is None]
    scoped = [s.id for s in schedules if scope.units_for(s) is not None]
    for ids, units in ((full, None), (scoped, scope.units)):
        if not ids:
            continue
        expected = Receipt.notified_at.is_not(None)
        stmt = (
            select(
                Receipt.schedule_id,
                func.count(case((expected, 1))),
                func.count(case((expected & Receipt.confirmed_at.is_not(None), 1))),
                func.count(case((~expected & Receipt.confirmed_at.is_not(None), 1))),
            )
            .where(Receipt.schedule_id.in_(ids))
            .group_by(Receipt.schedule_id)
        )
        if units is not None:
            stmt = stmt.where(_in_units(units))
        for sid, exp, conf, grp in await session.execute(stmt):
            counts[sid] = (exp, conf, grp)
    quiet = [sid for sid in full if sid not in counts]
    fired: set[int] = set()
    if quiet:
        sent = ScheduleFire.schedule_id.in_(quiet) & (ScheduleFire.outcome == "sent")
        fired = set(await session.scalars(select(ScheduleFire.schedule_id).where(sent).distinct()))
    planned = {s.id: await planned_count(session, s) for s in schedules if s.id in quiet and s.id not in fired}
    return [
        NoticeCounts(s, scope.units_for(s) is not None, *counts.get(s.id, (0, 0, 0)), planned=planned.get(s.id))
        for s in schedules
    ]


async def planned_count(session: AsyncSession, schedule: Schedule) -> int:
    """The people a notice not sent yet would reach now (group chats have no member list: not counted)."""
    return sum(1 for r in await expand(session, load_targets(schedule.targets), []) if r.person)


# ---------------------------------------------------------------- reports


@dataclass(frozen=True)
class ReceiptLine:
    user_id: str
    name: str
    notified_at: datetime | None
    confirmed_at: datetime | None
    via: str

    @property
    def in_group(self) -> bool:
        return self.via.startswith(GROUP_VIA)


@dataclass(frozen=True)
class ReceiptReport:
    """``confirmed``/``waiting``: people the notice was pushed to personally. ``in_group``: people who
    confirmed in a group chat without being on that list. ``scoped``: limited to a viewer's units."""

    schedule: Schedule
    confirmed: list[ReceiptLine]
    waiting: list[ReceiptLine]
    in_group: list[ReceiptLine] = field(default_factory=list)
    groups: list[TargetSpec] = field(default_factory=list)
    members_known: bool = True
    scoped: bool = False

    @property
    def expected(self) -> int:
        return len(self.confirmed) + len(self.waiting)


async def was_sent(session: AsyncSession, schedule_id: int) -> bool:
    found = await session.scalar(
        select(ScheduleFire.id).where(ScheduleFire.schedule_id == schedule_id, ScheduleFire.outcome == "sent").limit(1)
    )
    return found is not None


async def report(session: AsyncSession, schedule: Schedule, units: frozenset[str] | None = None) -> ReceiptReport:
    """Who confirmed and who has not; with ``units``, only people in those units appear."""
    query = select(Receipt).where(Receipt.schedule_id == schedule.id).order_by(Receipt.user_id)
    if units is not None:
        query = query.where(_in_units(units))
    rows = await session.scalars(query)
    lines = [ReceiptLine(r.user_id, r.name, r.notified_at, r.confirmed_at, r.confirmed_via) for r in rows]
    expected = [x for x in lines if x.notified_at is not None]
    confirmed = sorted((x for x in expected if x.confirmed_at), key=lambda x: (x.confirmed_at, x.user_id))
    waiting = [x for x in expected if not x.confirmed_at]
    in_group = sorted(
        (x for x in lines if x.notified_at is None and x.confirmed_at), key=lambda x: (x.confirmed_at, x.user_id)
    )
    specs = load_targets(schedule.targets)
    groups = [s for s in specs if s.kind == "group"]
    members_known = any(s.kind != "group" for s in specs)
    return ReceiptReport(schedule, confirmed, waiting, in_group, groups, members_known, units is not None)


EXPORT_HEADERS = ("用户ID", "姓名", "状态", "确认时间", "确认方式")


def export_rows(rep: ReceiptReport, tz: object) -> list[list[str]]:
    """One row per person under EXPORT_HEADERS, for the CSV reply and the file export alike."""
    rows = []
    for line in rep.confirmed + rep.waiting + rep.in_group:
        at = line.confirmed_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if line.confirmed_at else ""  # type: ignore[arg-type]
        state = "未确认" if not line.confirmed_at else ("已确认（群内）" if line in rep.in_group else "已确认")
        rows.append([line.user_id, line.name, state, at, line.via])
    return rows


def to_csv(rep: ReceiptReport, tz: object) -> str:
    """Names come from IM profiles anyone can edit, so text is formula-quoted like every export."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_HEADERS)
    for row in export_rows(rep, tz):
        writer.writerow([csv_value(v) for v in row])
    return out.getvalue()
