"""Engine creation: one place that turns a configured URL into a working async engine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.redaction import redact
from bot.storage import sqlite_driver
from bot.storage.sqlite_gate import SqliteWriteGate


class DatabaseUrlError(ValueError):
    pass


def normalize_url(url: str) -> str:
    """Accept the plain ``sqlite:///`` and ``postgresql://`` forms and give them the async driver."""
    try:
        parsed = make_url(url)
    except Exception:
        raise DatabaseUrlError(
            f"无法解析数据库地址 '{redact(url)}'：应为 postgresql://用户名@主机:端口/库名（密码写在用户名后的冒号之后）"
            "或 sqlite:///文件路径；密码中的 @ : / 等字符须写成 %40 %3A %2F"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif backend in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    else:
        raise DatabaseUrlError(f"不支持的数据库 {redact(repr(backend))}：请使用 SQLite 或 PostgreSQL")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def create_engine(
    url: str,
    *,
    echo: bool = False,
    search_path: str | None = None,
    pool_size: int | None = None,
    max_overflow: int | None = None,
) -> AsyncEngine:
    """Make the engine; for SQLite create the folder and turn on WAL so readers never block the writer."""
    url = normalize_url(url)
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:":
            Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
        # Every session and connection ends its own transaction (commit, or the rollback that
        # Connection.close() does), so the pool's extra ROLLBACK on check-in was only a thread
        # hand-off per session: about a third of the in-process throughput. (PostgreSQL keeps
        # it: the leader lock's connection changes its isolation level.)
        kwargs["pool_reset_on_return"] = None
        kwargs["module"] = sqlite_driver.dbapi()
    else:
        kwargs["pool_pre_ping"] = True
        if pool_size is not None:
            kwargs["pool_size"] = pool_size
        if max_overflow is not None:
            kwargs["max_overflow"] = max_overflow
        if search_path:
            kwargs["connect_args"] = {"server_settings": {"search_path": search_path}}
    engine = create_async_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        SqliteWriteGate().install(engine.sync_engine)
    return engine


def conflict_insert(dialect_name: str) -> Callable[..., Any]:
    """INSERT … ON CONFLICT for the database in use: SQLite and PostgreSQL spell it alike."""
    return (postgresql if dialect_name == "postgresql" else sqlite).insert


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def open_for_savepoints(session: AsyncSession) -> None:
    """Open SQLite's transaction now, before a ``begin_nested()``.

    Python's sqlite3 begins a transaction only at the first INSERT/UPDATE/DELETE. A
    SAVEPOINT before that starts one of its own, and its RELEASE then commits: the nested
    work would stay even when the enclosing transaction rolls back. IMMEDIATE takes the write
    lock (and this process's write gate) at once: a deferred BEGIN followed by reads would
    pin a snapshot that another writer's commit makes stale, and the first write would then
    fail with "database is locked". (PostgreSQL: nothing to do.)
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    if not raw.driver_connection.in_transaction:  # type: ignore[union-attr]
        await conn.exec_driver_sql("BEGIN IMMEDIATE")
