"""The one-trip SQLite driver (bot/storage/sqlite_driver.py) behaves as plain sqlite3 does.

It runs each statement in one hand-off and skips the commit or rollback of a connection
with no transaction open. The danger is a transaction left open (locks held, writes lost)
or a result that differs; both are compared here with the same work done by sqlite3.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, String, Table, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from bot.storage.db import create_engine, open_for_savepoints, session_factory

metadata = MetaData()
items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(20), unique=True, nullable=False),
    Column("n", Integer, nullable=False),
)

Op = tuple[str, int]
ops = st.lists(
    st.tuples(st.sampled_from(["insert", "update", "delete", "select", "commit", "rollback"]), st.integers(0, 5)),
    max_size=25,
)


def _sqlite3_replay(path: Path, steps: list[Op]) -> tuple[list[object], list[tuple[int, str, int]]]:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(20) UNIQUE NOT NULL, n INT)")
    conn.commit()
    seen: list[object] = []
    for op, k in steps:
        if op == "insert":
            try:
                cur = conn.execute("INSERT INTO items (name, n) VALUES (?, ?)", (f"x{k}", k))
                seen.append(("inserted", cur.rowcount))
            except sqlite3.IntegrityError:
                seen.append("duplicate")
        elif op == "update":
            seen.append(("updated", conn.execute("UPDATE items SET n = n + 1 WHERE name = ?", (f"x{k}",)).rowcount))
        elif op == "delete":
            seen.append(("deleted", conn.execute("DELETE FROM items WHERE n >= ?", (k,)).rowcount))
        elif op == "select":
            seen.append(("rows", conn.execute("SELECT name, n FROM items ORDER BY name").fetchall()))
        elif op == "commit":
            conn.commit()
        else:
            conn.rollback()
    conn.rollback()
    final = conn.execute("SELECT id, name, n FROM items ORDER BY id").fetchall()
    conn.close()
    return seen, final


async def _driver_replay(path: Path, steps: list[Op]) -> tuple[list[object], list[tuple[int, str, int]]]:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        seen: list[object] = []
        async with engine.connect() as conn:
            for op, k in steps:
                if op == "insert":
                    try:
                        result = await conn.execute(insert(items).values(name=f"x{k}", n=k))
                        seen.append(("inserted", result.rowcount))
                    except IntegrityError:
                        seen.append("duplicate")
                elif op == "update":
                    result = await conn.execute(update(items).where(items.c.name == f"x{k}").values(n=items.c.n + 1))
                    seen.append(("updated", result.rowcount))
                elif op == "delete":
                    result = await conn.execute(delete(items).where(items.c.n >= k))
                    seen.append(("deleted", result.rowcount))
                elif op == "select":
                    rows = (await conn.execute(select(items.c.name, items.c.n).order_by(items.c.name))).all()
                    seen.append(("rows", [tuple(r) for r in rows]))
                elif op == "commit":
                    await conn.commit()
                else:
                    await conn.rollback()
            await conn.rollback()
        # Read through plain sqlite3: what the driver left on disk, not what its connection sees.
        with sqlite3.connect(path, timeout=0.5) as plain:
            final = plain.execute("SELECT id, name, n FROM items ORDER BY id").fetchall()
        return seen, final
    finally:
        await engine.dispose()


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=ops)
async def test_the_driver_does_what_sqlite3_does(tmp_path_factory: pytest.TempPathFactory, steps: list[Op]) -> None:
    folder = tmp_path_factory.mktemp("replay")
    seen, final = await _driver_replay(folder / "driver.db", steps)
    expected_seen, expected_final = _sqlite3_replay(folder / "sqlite3.db", steps)
    assert seen == expected_seen
    assert final == expected_final


async def test_a_failed_write_leaves_no_transaction_open(tmp_path: Path) -> None:
    """A unique violation as the first statement still opened a transaction: its rollback must run."""
    path = tmp_path / "x.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    db = session_factory(engine)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            await conn.execute(insert(items).values(name="a", n=1))
        with pytest.raises(IntegrityError):
            async with db() as session, session.begin():
                await session.execute(insert(items).values(name="a", n=2))
        # Another connection writes at once: nothing is left locked.
        with sqlite3.connect(path, timeout=0.5) as plain:
            plain.execute("INSERT INTO items (name, n) VALUES ('b', 3)")
        async with db() as session:
            assert (await session.execute(text("SELECT count(*) FROM items"))).scalar_one() == 2
            new_id = (await session.execute(insert(items).values(name="c", n=4))).inserted_primary_key
            await session.commit()
        assert new_id is not None and new_id[0] == 3
    finally:
        await engine.dispose()


async def test_savepoint_work_rolls_back_with_the_enclosing_transaction(db_url: str) -> None:
    """On SQLite a SAVEPOINT before the first write began its own transaction, and its RELEASE
    committed: the scheduler's fire expansion could outlive a failed round (open_for_savepoints)."""
    engine = create_engine(db_url)
    db = session_factory(engine)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        with pytest.raises(RuntimeError):
            async with db() as session, session.begin():
                await session.execute(select(items.c.id))
                await open_for_savepoints(session)
                async with session.begin_nested():
                    await session.execute(insert(items).values(name="nested", n=1))
                raise RuntimeError("the round fails after the expansion")
        async with db() as session:
            assert (await session.execute(select(items.c.id))).all() == []
            await open_for_savepoints(session)
            async with session.begin_nested():
                await session.execute(insert(items).values(name="kept", n=2))
            await session.commit()
            assert (await session.execute(select(items.c.name))).scalars().all() == ["kept"]
    finally:
        await engine.dispose()


async def test_a_transaction_opened_for_savepoints_writes_after_another_writer_committed(db_url: str) -> None:
    """open_for_savepoints then reads: a deferred BEGIN would pin a snapshot that another
    connection's commit makes stale, and the first write would fail with 'database is locked'."""
    engine = create_engine(db_url)
    db = session_factory(engine)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        async with db() as session, session.begin():
            await open_for_savepoints(session)
            await session.execute(select(items.c.id))
            other = asyncio.create_task(_write_elsewhere(db))
            await asyncio.sleep(0.05)  # the other writer runs (or waits for us) meanwhile
            async with session.begin_nested():
                await session.execute(insert(items).values(name="mine", n=1))
        await asyncio.wait_for(other, 30)
        async with db() as session:
            assert sorted((await session.execute(select(items.c.name))).scalars()) == ["mine", "other"]
    finally:
        await engine.dispose()


async def _write_elsewhere(db) -> None:
    async with db() as session, session.begin():
        await session.execute(insert(items).values(name="other", n=2))
