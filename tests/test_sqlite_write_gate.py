"""A writer cancelled while SQLite is still running its statement leaves the database writable.

The shutdown deadline or a handler timeout can cancel a task whose statement is still
running on the connection's thread. The write gate must come back, and so must SQLite's
write lock: a cursor left open on a closed sqlite3 connection (closed with
``sqlite3_close_v2``) keeps it alive as a zombie holding the lock, and every later write of
the process then waits out the busy timeout and fails — replies sent but never marked,
rows never given back (seen with SIGTERM on a backlog before bot/storage/sqlite_driver.py
closed each statement's cursor on the connection's thread).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from bot.storage.db import create_engine

SLOW_SELECT = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000) SELECT count(*) FROM c"
)


async def test_a_writer_cancelled_mid_statement_gives_the_gate_back(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'gate.db'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (n INTEGER)"))
        started = asyncio.Event()

        async def writer_then_slow_read() -> None:
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t VALUES (1)"))  # takes the gate
                started.set()
                await conn.execute(text(SLOW_SELECT))  # cancelled in here

        task = asyncio.create_task(writer_then_slow_read())
        await asyncio.wait_for(started.wait(), 10)
        await asyncio.sleep(0.1)
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=60)
        assert done, "the cancelled writer never finished"
        assert task.cancelled() or isinstance(task.exception(), asyncio.CancelledError), task
        # The next writer waits at most for the abandoned statement to end in its thread (SQLite
        # still holds that connection's lock until then), not for the gate's 30 s.
        async with asyncio.timeout(15):
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t VALUES (2)"))
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT n FROM t"))).scalars().all() == [2]
    finally:
        await engine.dispose()
