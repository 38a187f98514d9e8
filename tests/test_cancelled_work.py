"""Work cancelled inside a database statement (a reply timeout, a shutdown) stays a cancellation
and leaves the database usable.

SQLAlchemy invalidates a connection whose statement is cancelled. On SQLite this used to leave
the write gate taken (every later writer waited 30 s, then failed) and turned the cancellation
into a PendingRollbackError, which the housekeeping loop logged and slept on for 600 s: a
SIGTERM'd `orgbot run` then never exited.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import PendingRollbackError

from bot.app import OrgBot
from bot.channels.local import LocalChannel
from bot.config import Config
from bot.storage.db import create_engine, session_factory


@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(written_before_cancel=st.integers(min_value=0, max_value=30), pause=st.sampled_from([0.0, 0.0003, 0.002]))
async def test_a_write_cancelled_midway_is_a_cancellation_and_the_next_writer_writes(
    db_url: str, written_before_cancel: int, pause: float
) -> None:
    engine = create_engine(db_url)
    db = session_factory(engine)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE IF NOT EXISTS cancel_probe (n INTEGER)"))
        reached = asyncio.Event()

        async def writer() -> None:
            async with db() as session, session.begin():
                for n in range(10_000):
                    if n == written_before_cancel:
                        reached.set()
                    await session.execute(text("INSERT INTO cancel_probe (n) VALUES (:n)"), {"n": n})

        task = asyncio.create_task(writer())
        await asyncio.wait_for(reached.wait(), 20)
        await asyncio.sleep(pause)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

        async def next_writer() -> None:
            async with db() as session, session.begin():
                await session.execute(text("INSERT INTO cancel_probe (n) VALUES (-1)"))

        # Bounded for liveness only: a leaked write gate makes this wait its 30 s and fail.
        await asyncio.wait_for(next_writer(), 20)
    finally:
        await engine.dispose()


async def test_stop_ends_housekeeping_whose_cancellation_came_out_as_a_database_error(
    db_url: str, config_for: Callable[..., Config], monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    bot = OrgBot(config_for(db_url))
    bot.add_channel(LocalChannel())
    entered = asyncio.Event()

    async def forget_finished(*_: Any) -> None:
        entered.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError as exc:
            # What the ORM raises when the rollback after a cancelled statement fails.
            raise PendingRollbackError("Can't reconnect until invalid transaction is rolled back") from exc

    monkeypatch.setattr(bot.inbox, "forget_finished", forget_finished)
    await bot.start(background=True)
    await asyncio.wait_for(entered.wait(), 20)
    with caplog.at_level(logging.ERROR, logger="bot.app"):
        await asyncio.wait_for(bot.stop(timeout=1), 60)
    assert "did not stop when cancelled" not in caplog.text
    assert "housekeeping failed" not in caplog.text
