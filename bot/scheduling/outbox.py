"""The persistent outbox: one row per (schedule, fire time, recipient), claimed, sent, marked.

Exactly-once where it can be had, and the trade-off stated where it cannot:

- Channels that store pushes in our own database (the local inbox) deliver inside the
  transaction that writes the "sent" mark (``bot.deliver(..., within=session)``), guarded
  by the claim and the lease epoch, so a crash at any point leaves either both or
  neither — the recipient sees exactly one copy.
- IM channels: the platform call cannot join our transaction. A row is claimed
  (committed) before the call and marked after it; a crash in between leaves it
  "sending", and the next leader sends it again. We choose a rare duplicate over a
  lost meeting notice; the window is one HTTP call.

The outbox knows channels only by name: it sends through ``bot.deliver`` and reads each
channel's own ``push_per_second``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import DeliveryError
from bot.messages import Outgoing, Reply, ReplyFormat, Target
from bot.scheduling.leader import LeaderLease
from bot.scheduling.models import OutboxRow
from bot.scheduling.rules import Policy
from bot.storage.db import conflict_insert

if TYPE_CHECKING:
    from bot.app import OrgBot

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
DEFAULT_PER_SECOND = 10.0  # for a channel that does not state its own ``push_per_second``
LOCAL_CHUNK = 50
STATUS_LABELS = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "失败", "cancelled": "已取消"}


class ClaimLost(Exception):
    """Another leader took the rows while we were sending; our write must not land."""


@dataclass(frozen=True)
class PushItem:
    """A push to be queued; ``key`` is what makes a second copy impossible."""

    key: str
    target: Target
    text: str
    fire_at: datetime
    recipient: str = ""
    schedule_id: int | None = None
    urgent: bool = False
    format: str = "text"


def push_key(schedule_id: int | str, fire_at: datetime, recipient_key: str, stage: str = "") -> str:
    """The idempotency key of one push.

    The instant is written in UTC so the same fire computed in any zone matches; the
    stage keeps a re-reminder (催办) apart from the notice sent at that same instant.
    """
    if fire_at.tzinfo is None:
        raise ValueError("push_key needs an aware datetime")
    stage_part = f"{stage}:" if stage else ""
    return f"s{schedule_id}:{fire_at.astimezone(UTC):%Y%m%dT%H%M%SZ}:{stage_part}{recipient_key}"[:191]


async def enqueue(session: AsyncSession, items: Sequence[PushItem], now: datetime) -> int:
    """Queue pushes; an item whose key is already queued is skipped. Returns how many were new."""
    if not items:
        return 0
    insert = conflict_insert(session.get_bind().dialect.name)
    added = 0
    for start in range(0, len(items), 500):
        values = [
            {
                "idempotency_key": item.key[:191],
                "schedule_id": item.schedule_id,
                "fire_at": item.fire_at,
                "recipient": item.recipient,
                "channel": item.target.channel,
                "chat_id": item.target.chat_id,
                "user_id": item.target.user_id,
                "text": item.text,
                "format": item.format,
                "urgent": item.urgent,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "claimed_by": "",
                "last_error": "",
                "created_at": now,
            }
            for item in items[start : start + 500]
        ]
        stmt = insert(OutboxRow).values(values).on_conflict_do_nothing(index_elements=["idempotency_key"])
        result = cast(CursorResult[Any], await session.execute(stmt))
        added += max(result.rowcount or 0, 0)
    return added


class ChannelPace:
    """A token bucket in real time: platforms count messages per second, not per simulated second.

    Taking more tokens than are left puts the bucket in debt; the taker sleeps it off,
    so a batch of 50 local pushes costs the same as 50 single ones.
    """

    def __init__(self, per_second: float) -> None:
        self.rate = max(per_second, 0.001)
        self.burst = max(1.0, min(self.rate, 50.0))
        self.tokens = self.burst
        self.updated = time.monotonic()

    async def take(self, n: int = 1) -> None:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        self.tokens -= n
        if self.tokens < 0:
            await asyncio.sleep(-self.tokens / self.rate)


class OutboxSender:
    """Works the outbox: claim due rows, send them at each channel's pace, retry with backoff."""

    def __init__(self, bot: OrgBot, policy: Policy, node: str, lease: LeaderLease) -> None:
        self.bot = bot
        self.policy = policy
        self.node = node
        self.lease = lease
        self.limiters: dict[str, ChannelPace] = {}

    def limiter(self, channel: str) -> ChannelPace:
        if channel not in self.limiters:
            rate = getattr(self.bot.channels.get(channel), "push_per_second", DEFAULT_PER_SECOND)
            self.limiters[channel] = ChannelPace(rate)
        return self.limiters[channel]

    def _fence(self) -> list[Any]:
        """Conditions a "sent" mark needs: still our claim, under the lease epoch we still hold."""
        return [
            OutboxRow.claimed_by == self.node,
            OutboxRow.claim_epoch == (self.lease.epoch if self.lease.epoch is not None else -1),
            OutboxRow.status == "sending",
            self.lease.holds_clause(),
        ]

    async def recover_orphans(self) -> int:
        """Rows another (dead or hung) leader claimed go back to the queue; only a new leader calls this.

        Rows a hung leader still holds in an open transaction are skipped (PostgreSQL): that
        transaction either commits them as sent or, if it never does, their claim runs out.
        """
        async with self.bot.db() as session, session.begin():
            await self.lease.bound(session)
            pick = select(OutboxRow.id).where(OutboxRow.status == "sending", OutboxRow.claimed_by != self.node)
            if session.get_bind().dialect.name == "postgresql":
                pick = pick.with_for_update(skip_locked=True)
            ids = list(await session.scalars(pick))
            if not ids:
                return 0
            result = cast(
                CursorResult[Any],
                await session.execute(
                    update(OutboxRow)
                    .where(OutboxRow.id.in_(ids), OutboxRow.status == "sending")
                    .values(status="pending", claimed_by="", claimed_until=None)
                ),
            )
        if result.rowcount:
            log.warning("requeued %d push(es) left mid-send by a previous leader", result.rowcount)
        return result.rowcount or 0

    async def claim(self, limit: int | None = None) -> list[OutboxRow]:
        """Take due rows for sending; only while holding the scheduler lease."""
        if not self.lease.held and not await self.lease.acquire():
            return []
        now = self.bot.clock.now()
        limit = limit or self.bot.config.outbox.batch_size
        due = or_(
            and_(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now),
            and_(OutboxRow.status == "sending", OutboxRow.claimed_until < now),
            # Claimed by an earlier leader and freed since (its hung transaction was ended).
            and_(OutboxRow.status == "sending", OutboxRow.claim_epoch < (self.lease.epoch or 0)),
        )
        conditions = [due]
        if self.policy.in_quiet_hours(now.astimezone(self.policy.tz)):
            conditions.append(OutboxRow.urgent.is_(True))
        async with self.bot.db() as session, session.begin():
            await self.lease.bound(session)
            pick = (
                select(OutboxRow.id).where(*conditions).order_by(OutboxRow.next_attempt_at, OutboxRow.id).limit(limit)
            )
            if session.get_bind().dialect.name == "postgresql":
                pick = pick.with_for_update(skip_locked=True)
            ids = list(await session.scalars(pick))
            if not ids:
                return []
            rows = await session.scalars(
                update(OutboxRow)
                .where(OutboxRow.id.in_(ids), *conditions)
                .values(
                    status="sending",
                    claimed_by=self.node,
                    claim_epoch=self.lease.epoch,
                    claimed_until=now + LEASE,
                    attempts=OutboxRow.attempts + 1,
                )
                .returning(OutboxRow)
            )
            return sorted(rows, key=lambda r: r.id)

    async def drain(self, max_rounds: int = 1000, stop: Callable[[], bool] | None = None) -> int:
        """Send everything due now (or until ``stop`` says so); returns how many rows were sent."""
        sent = 0
        for _ in range(max_rounds):
            if stop is not None and stop():
                break
            if self.lease.held and not await self.lease.still_held():
                break
            rows = await self.claim()
            if not rows:
                break
            sent += await self.send_rows(rows)
        return sent

    async def send_rows(self, rows: Sequence[OutboxRow]) -> int:
        sent = 0
        batch: list[OutboxRow] = []
        for row in rows:
            if self.bot.transactional(row.channel):
                batch.append(row)
                if len(batch) >= LOCAL_CHUNK:
                    sent += await self._send_within(batch)
                    batch = []
                continue
            sent += await self._send_remote(row)
        if batch:
            sent += await self._send_within(batch)
        return sent

    @staticmethod
    def _message(row: OutboxRow) -> Outgoing:
        return Outgoing(
            target=Target(row.channel, chat_id=row.chat_id, user_id=row.user_id),
            reply=Reply(row.text, format=ReplyFormat(row.format)),
        )

    async def _send_within(self, rows: list[OutboxRow]) -> int:
        """Deliver and mark in one transaction (channels that store pushes in our database)."""
        for channel in {r.channel for r in rows}:
            await self.limiter(channel).take(sum(r.channel == channel for r in rows))
        now = self.bot.clock.now()
        try:
            async with self.bot.db() as session, session.begin():
                await self.lease.bound(session)
                result = cast(
                    CursorResult[Any],
                    await session.execute(
                        update(OutboxRow)
                        .where(OutboxRow.id.in_([r.id for r in rows]), *self._fence())
                        .values(status="sent", sent_at=now, claimed_until=None, last_error="")
                    ),
                )
                if result.rowcount != len(rows):
                    raise ClaimLost
                for row in rows:
                    await self.bot.deliver(self._message(row), within=session)
        except ClaimLost:
            log.warning("lost the claim on %d push(es); another leader took them", len(rows))
            return 0
        return len(rows)

    async def _send_remote(self, row: OutboxRow) -> int:
        await self.limiter(row.channel).take()
        if not await self.lease.still_held():
            log.warning("not sending push %s: the scheduler lease was lost", row.id)
            return 0
        try:
            await self.bot.deliver(self._message(row))
        except DeliveryError as exc:
            await self._failed(row, str(exc), exc.permanent, exc.retry_after)
            return 0
        except Exception as exc:
            log.exception("push %s failed unexpectedly", row.id)
            await self._failed(row, f"{type(exc).__name__}: {exc}", False, None)
            return 0
        async with self.bot.db() as session, session.begin():
            await self.lease.bound(session)
            result = cast(
                CursorResult[Any],
                await session.execute(
                    update(OutboxRow)
                    .where(OutboxRow.id == row.id, *self._fence())
                    .values(status="sent", sent_at=self.bot.clock.now(), claimed_until=None, last_error="")
                ),
            )
        if result.rowcount != 1:
            log.warning("push %s was sent, but another leader holds it now; not marking it", row.id)
            return 0
        return 1

    async def _failed(self, row: OutboxRow, error: str, permanent: bool, retry_after: float | None) -> None:
        cfg = self.bot.config.outbox
        now = self.bot.clock.now()
        give_up = permanent or row.attempts >= cfg.max_attempts
        delay = max(retry_after or 0.0, cfg.backoff_seconds * 2 ** max(row.attempts - 1, 0))
        values = {
            "status": "failed" if give_up else "pending",
            "last_error": error[:2000],
            "claimed_until": None,
            "next_attempt_at": now if give_up else now + timedelta(seconds=delay),
        }
        log.warning("push %s to %s failed (attempt %d): %s", row.id, row.channel, row.attempts, error)
        async with self.bot.db() as session, session.begin():
            await self.lease.bound(session)
            await session.execute(update(OutboxRow).where(OutboxRow.id == row.id, *self._fence()).values(**values))


async def list_rows(session: AsyncSession, statuses: Iterable[str] | None = None, limit: int = 50) -> list[OutboxRow]:
    query = select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit)
    if statuses:
        query = query.where(OutboxRow.status.in_(list(statuses)))
    return list(await session.scalars(query))


async def count_by_status(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status))
    return dict(rows.all())


async def retry(session: AsyncSession, now: datetime, ids: Iterable[int] = ()) -> int:
    """Give failed rows (those ``ids``, or all of them) a fresh set of attempts."""
    query = update(OutboxRow).where(OutboxRow.status == "failed")
    ids = list(ids)
    if ids:
        query = query.where(OutboxRow.id.in_(ids))
    result = cast(
        CursorResult[Any], await session.execute(query.values(status="pending", attempts=0, next_attempt_at=now))
    )
    return result.rowcount or 0
