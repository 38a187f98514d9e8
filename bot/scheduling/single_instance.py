"""SQLite serves one running instance: a second `orgbot run` on the same file is refused at start.

Two schedulers on one SQLite file fight over the write lock ("database is locked") and both
believe they lead. An exclusive ``flock`` on a file beside the database is held for the
process's life — also while it is stopped or hung — and freed by the OS when it dies, so
the check cannot be fooled by a stale lease row. Several instances need PostgreSQL.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

from bot.config import ConfigError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no flock; the lease still elects one leader
    fcntl = None  # type: ignore[assignment]


class SecondInstanceError(ConfigError):
    """Another process already runs the scheduler on this SQLite database."""


class SingleInstanceLock:
    def __init__(self, database: str) -> None:
        self.path = Path(f"{database}.orgbot-run.lock")
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock or raise :class:`SecondInstanceError` naming the process that holds it."""
        if fcntl is None or self._file is not None:
            return
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "未知"
            handle.close()
            raise SecondInstanceError(
                f"另一个 orgbot 实例（进程 {holder}）正在运行并使用 SQLite 数据库 {self.path.with_suffix('').with_suffix('')}。"
                "SQLite 只支持一个运行中的实例：请先停止它；需要多个实例（主备）请改用 PostgreSQL。"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            if fcntl is not None:
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None
