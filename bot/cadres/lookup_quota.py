"""Per-person lookup limits, counted from the audit log so they hold across instances and restarts.

The count and the audit row it leads to are one critical section per person (``admit``):
otherwise concurrent lookups all read the same count and all pass.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit_record import storable
from bot.cadres.config import CadresConfig
from bot.cadres.models import LookupGate
from bot.storage.db import conflict_insert
from bot.storage.models import AuditEntry

LOOKUP_ACTION_PREFIX = "cadre."
RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class QuotaExceeded:
    """The person hit the per-minute or the per-day limit of ``limit`` lookups."""

    window: Literal["minute", "day"]
    limit: int


async def quota_hit(session: AsyncSession, actor: str, now: datetime, config: CadresConfig) -> QuotaExceeded | None:
    """None while the person is within both limits, else which one they hit."""
    actor = storable(actor, 191)

    async def count_since(since: datetime) -> int:
        return (
            await session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(
                    AuditEntry.actor == actor,
                    AuditEntry.at > since,
                    AuditEntry.action.like(LOOKUP_ACTION_PREFIX + "%"),
                    AuditEntry.outcome != RATE_LIMITED,
                )
            )
            or 0
        )

    if await count_since(now - timedelta(minutes=1)) >= config.lookups_per_minute:
        return QuotaExceeded("minute", config.lookups_per_minute)
    if await count_since(now - timedelta(days=1)) >= config.lookups_per_day:
        return QuotaExceeded("day", config.lookups_per_day)
    return None


async def admit(session: AsyncSession, actor: str, now: datetime, config: CadresConfig) -> QuotaExceeded | None:
    """``quota_hit`` with this person's lookups serialized; the first write of the transaction that audits.

    On PostgreSQL the gate upsert locks the person's row until commit, and the counts that
    follow (READ COMMITTED) see every lookup committed before. On SQLite it opens the write
    transaction (earlier SELECTs ran outside one), so the counts read the newest snapshot
    and no other writer can commit in between. Either way the next lookup by the same
    person counts only after this one's audit row is committed.
    """
    stmt = conflict_insert(session.get_bind().dialect.name)(LookupGate).values(actor=storable(actor, 191), last_at=now)
    await session.execute(stmt.on_conflict_do_update(index_elements=["actor"], set_={"last_at": now}))
    return await quota_hit(session, actor, now, config)


class PersonTurns:
    """One lookup per person at a time within this process, queued in memory.

    ``admit`` is what makes the count exact, across instances too; this only keeps one
    person's burst from occupying many pooled connections, each waiting on the same gate
    row, while other people's messages wait for a connection.
    """

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiting: dict[str, int] = {}

    @asynccontextmanager
    async def turn(self, actor: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(actor, asyncio.Lock())
        self._waiting[actor] = self._waiting.get(actor, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[actor] -= 1
            if not self._waiting[actor]:
                del self._waiting[actor], self._locks[actor]

    def __len__(self) -> int:
        return len(self._locks)
