"""Mark a database as served by a running instance, so destructive commands can refuse.

For a SQLite file the serving process holds an advisory ``flock`` on ``<file>.instance-lock``
for its whole life; the kernel drops it when the process dies, even by kill -9, so a stale
lock never blocks a restore. PostgreSQL needs no file: its own session list says who is
connected (see ``bot/backup.py``).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.storage.db import normalize_url


class InstanceRunning(RuntimeError):
    """Another process serves this database."""


def lock_path(url: str) -> Path | None:
    """The lock file of a SQLite database file; None for PostgreSQL or an in-memory database."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    db = Path(parsed.database).expanduser().resolve()
    return db.with_name(db.name + ".instance-lock")


class InstanceLock:
    """Held while an instance serves ``url``; ``acquire`` fails if another process holds it."""

    def __init__(self, url: str) -> None:
        self.path = lock_path(url)
        self._fd: int | None = None

    def acquire(self) -> None:
        if self.path is None or self._fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            holder = os.read(fd, 64).decode(errors="replace").strip()
            os.close(fd)
            raise InstanceRunning(
                f"另一个 orgbot 实例（进程 {holder or '未知'}）正在运行并使用 SQLite 数据库 {self.path.with_suffix('')}。"
                "SQLite 只支持一个运行中的实例：请先停止它；需要多个实例（主备）请改用 PostgreSQL"
            ) from exc
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(self, *_: object) -> None:
        self.release()
