"""One leader at a time fires schedules and works the outbox: a lease row with a fencing epoch.

The leader must renew its lease (``scheduler_lease``) within ``[scheduler] lease_seconds``.
A leader that dies *or hangs* (a stopped process keeps its database connection, so a
connection-bound lock would never be freed) stops renewing and loses the lease; another
instance takes it and raises the ``epoch``. Rows the outbox claims carry the epoch, and a
"sent" mark is written only while that epoch still holds the lease, so a leader that wakes
up cannot mark — or, on the local channel, deliver — what the new leader already sent.

Time comes from the bot's clock; instances sharing a database must keep their clocks
synchronised (NTP) to well within ``lease_seconds``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.scheduling.models import SchedulerLease
from bot.storage.db import conflict_insert

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Takeover:
    """The lease was taken from a holder that stopped renewing it (not handed over cleanly)."""

    previous: str
    epoch: int
    expired_at: datetime | None


class LeaderLease:
    def __init__(
        self,
        db: async_sessionmaker[AsyncSession],
        node: str,
        lock_id: int,
        lease_seconds: float,
        now: Callable[[], datetime],
    ) -> None:
        self.db = db
        self.node = node
        self.name = f"scheduler-{lock_id}"[:32]
        self.lease = timedelta(seconds=lease_seconds)
        self.now = now
        self.epoch: int | None = None
        self.renewed_at: datetime | None = None
        self.takeover: Takeover | None = None

    @property
    def held(self) -> bool:
        return self.epoch is not None

    async def acquire(self) -> bool:
        """Renew the lease if held, else take it if free or expired; True while this node leads.

        ``takeover`` is set when this call took the lease from a holder that let it expire.
        """
        now = self.now()
        async with self.db() as session, session.begin():
            if self.epoch is not None:
                renewed = await self._renew(session, now)
                if renewed:
                    return True
                log.warning("lost the scheduler lease (epoch %s); stepping down", self.epoch)
                self.epoch = None
            row = await session.get(SchedulerLease, self.name)
            if row is None:
                inserted = await session.execute(
                    conflict_insert(session.get_bind().dialect.name)(SchedulerLease)
                    .values(name=self.name, holder=self.node, epoch=1, expires_at=now + self.lease, acquired_at=now)
                    .on_conflict_do_nothing(index_elements=["name"])
                )
                if _rowcount(inserted) == 1:
                    self._took(1, now, None)
                    return True
                return False
            if row.holder and row.expires_at is not None and row.expires_at >= now:
                return False
            previous, expired_at, epoch = row.holder, row.expires_at, row.epoch
            taken = await session.execute(
                update(SchedulerLease)
                .where(SchedulerLease.name == self.name, SchedulerLease.epoch == epoch)
                .values(holder=self.node, epoch=epoch + 1, expires_at=now + self.lease, acquired_at=now)
            )
            if _rowcount(taken) != 1:
                return False
            self._took(epoch + 1, now, Takeover(previous, epoch + 1, expired_at) if previous else None)
            return True

    def _took(self, epoch: int, now: datetime, takeover: Takeover | None) -> None:
        self.epoch = epoch
        self.renewed_at = now
        self.takeover = takeover
        log.info("became the scheduling leader (lease %s, epoch %s)", self.name, epoch)
        if takeover is not None:
            log.warning("took the scheduler lease over from %s, which stopped renewing it", takeover.previous)

    async def _renew(self, session: AsyncSession, now: datetime) -> bool:
        result = await session.execute(
            update(SchedulerLease)
            .where(
                SchedulerLease.name == self.name,
                SchedulerLease.holder == self.node,
                SchedulerLease.epoch == self.epoch,
            )
            .values(expires_at=now + self.lease)
        )
        if _rowcount(result) == 1:
            self.renewed_at = now
            return True
        return False

    async def still_held(self) -> bool:
        """Cheap check between sends: renew when a third of the lease has passed, else trust it."""
        if self.epoch is None:
            return False
        now = self.now()
        if self.renewed_at is not None and now - self.renewed_at < self.lease / 3:
            return True
        async with self.db() as session, session.begin():
            if await self._renew(session, now):
                return True
        log.warning("lost the scheduler lease (epoch %s) while working; stopping", self.epoch)
        self.epoch = None
        return False

    async def bound(self, session: AsyncSession) -> None:
        """Limit how long this transaction may sit idle (PostgreSQL): if this process hangs inside
        it, the server ends the session within ``lease_seconds``, rolling it back and freeing the
        rows it locked, so the next leader is not left waiting on a stopped process."""
        if session.get_bind().dialect.name == "postgresql":
            ms = max(1000, int(self.lease.total_seconds() * 1000))
            await session.execute(text(f"SET LOCAL idle_in_transaction_session_timeout = {ms}"))

    def holds_clause(self) -> object:
        """A SQL condition true only while this node holds the lease at its epoch (the fence)."""
        return (
            select(SchedulerLease.name)
            .where(
                SchedulerLease.name == self.name,
                SchedulerLease.holder == self.node,
                SchedulerLease.epoch == (self.epoch if self.epoch is not None else -1),
            )
            .exists()
        )

    async def release(self) -> None:
        """Hand the lease back at shutdown, so the next instance takes it without a takeover notice."""
        if self.epoch is None:
            return
        try:
            async with self.db() as session, session.begin():
                await session.execute(
                    update(SchedulerLease)
                    .where(
                        SchedulerLease.name == self.name,
                        SchedulerLease.holder == self.node,
                        SchedulerLease.epoch == self.epoch,
                    )
                    .values(holder="", expires_at=None)
                )
        except Exception:
            log.warning("could not release the scheduler lease cleanly", exc_info=True)
        self.epoch = None


def _rowcount(result: object) -> int:
    count = getattr(result, "rowcount", 0)
    return max(count or 0, 0)
