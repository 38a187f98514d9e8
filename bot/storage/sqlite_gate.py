"""One writer at a time on SQLite, queued in asyncio instead of in SQLite's busy handler.

SQLite lets one connection write at a time. A connection that finds the write lock taken
waits in the busy handler, which sleeps in steps of up to 100 ms: under a burst of
concurrent answers most of the time went to those sleeps. The gate is taken before a
connection's first write in a transaction and given back when it commits or rolls back,
so this process's writers take turns without sleeping. Other processes (a CLI command
beside `orgbot run`) still meet the busy handler, as before.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InvalidRequestError, OperationalError
from sqlalchemy.util import await_only

HELD = "orgbot_write_gate"
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC", "BEGIN IMMEDIATE")  # see db.open_for_savepoints


class SqliteWriteGate:
    def __init__(self, wait_seconds: float = 30.0) -> None:
        self.wait_seconds = wait_seconds
        self._lock = asyncio.Lock()

    def install(self, sync_engine: Engine) -> None:
        event.listen(sync_engine, "before_cursor_execute", self._before_execute)
        event.listen(sync_engine, "commit", self._transaction_ended)
        event.listen(sync_engine, "rollback", self._transaction_ended)
        event.listen(sync_engine.pool, "reset", self._connection_reset)
        # A task cancelled inside a statement (a timeout, a shutdown) invalidates its connection:
        # its transaction then ends without the commit/rollback events above reaching the gate.
        event.listen(sync_engine.pool, "invalidate", self._connection_invalidated)

    def _before_execute(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if conn.info.get(HELD) or not statement.lstrip()[:15].upper().startswith(WRITES):
            return
        try:
            await_only(asyncio.wait_for(self._lock.acquire(), self.wait_seconds))
        except TimeoutError as exc:
            raise OperationalError(statement[:200], None, Exception("database is locked (write gate)")) from exc
        conn.info[HELD] = True

    def _transaction_ended(self, conn: Any) -> None:
        try:
            info = conn.info
        except InvalidRequestError:
            return  # invalidated: the pool's invalidate event gave the gate back
        self._release(info)

    def _connection_reset(self, dbapi_connection: Any, connection_record: Any, reset_state: Any) -> None:
        self._release(connection_record.info)

    def _connection_invalidated(self, dbapi_connection: Any, connection_record: Any, exception: Any) -> None:
        self._release(connection_record.info)

    def _release(self, info: dict[str, Any]) -> None:
        if info.pop(HELD, False):
            self._lock.release()
