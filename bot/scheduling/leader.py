"""One leader at a time fires schedules and works the outbox: a PostgreSQL advisory lock.

The lock lives on a dedicated connection, so it is released by the database the
moment the leader's process dies and its connection drops; the others try every
poll interval and one of them takes over. SQLite is single-instance: always leader.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)


class LeaderLock:
    def __init__(self, engine: AsyncEngine, lock_id: int) -> None:
        self.engine = engine
        self.lock_id = lock_id
        self._conn: AsyncConnection | None = None

    @property
    def shared(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    async def acquire(self) -> bool:
        """True while this process holds the lock; cheap to call every tick."""
        if not self.shared:
            return True
        if self._conn is not None:
            try:
                await self._conn.execute(text("SELECT 1"))
                return True
            except Exception:
                log.warning("lost the connection holding the leader lock; stepping down")
                await self._close()
        conn = await self.engine.connect()
        try:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            got = await conn.scalar(text("SELECT pg_try_advisory_lock(:id)"), {"id": self.lock_id})
        except Exception:
            await conn.close()
            raise
        if not got:
            await conn.close()
            return False
        self._conn = conn
        log.info("became the scheduling leader (lock %s)", self.lock_id)
        return True

    async def release(self) -> None:
        if self._conn is None:
            return
        try:
            await self._conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": self.lock_id})
        except Exception:
            log.warning("could not release the leader lock cleanly", exc_info=True)
        await self._close()

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.close()
            except Exception:
                await conn.invalidate()
