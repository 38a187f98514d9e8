"""Receipts (回执): who was asked to confirm a notice, and who did — each confirmation counted once."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduling.models import Receipt, Schedule
from bot.scheduling.targets import Recipient


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
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    for start in range(0, len(values), 500):
        stmt = dialect.insert(Receipt).values(values[start : start + 500])
        await session.execute(stmt.on_conflict_do_nothing(index_elements=["schedule_id", "user_id"]))


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
    return Confirmation(chosen, already=not result.rowcount, remaining=[s for s in pending if s.id != chosen.id])


@dataclass(frozen=True)
class ReceiptLine:
    user_id: str
    name: str
    notified_at: datetime | None
    confirmed_at: datetime | None
    via: str


@dataclass(frozen=True)
class ReceiptReport:
    schedule: Schedule
    confirmed: list[ReceiptLine]
    waiting: list[ReceiptLine]


async def report(session: AsyncSession, schedule: Schedule) -> ReceiptReport:
    rows = await session.scalars(select(Receipt).where(Receipt.schedule_id == schedule.id).order_by(Receipt.user_id))
    lines = [ReceiptLine(r.user_id, r.name, r.notified_at, r.confirmed_at, r.confirmed_via) for r in rows]
    confirmed = sorted((x for x in lines if x.confirmed_at), key=lambda x: (x.confirmed_at, x.user_id))
    waiting = [x for x in lines if not x.confirmed_at]
    return ReceiptReport(schedule, confirmed, waiting)


def to_csv(rep: ReceiptReport, tz: object) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["用户ID", "姓名", "状态", "确认时间", "确认方式"])
    for line in rep.confirmed + rep.waiting:
        at = line.confirmed_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if line.confirmed_at else ""  # type: ignore[arg-type]
        writer.writerow([line.user_id, line.name, "已确认" if line.confirmed_at else "未确认", at, line.via])
    return out.getvalue()
