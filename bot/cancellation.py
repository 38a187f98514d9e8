"""A cancelled task stays cancelled, even when the cancellation surfaced as another error.

A task cancelled inside a database statement can see a different exception: SQLAlchemy
invalidates the connection, and the rollback on the way out may then fail with its own
error. A background loop that logs every ``Exception`` and carries on would swallow the
cancellation and keep a stopping server alive (it once slept 600 s in housekeeping after a
SIGTERM). Loops call :func:`raise_if_cancelling` before they log and go on.
"""

from __future__ import annotations

import asyncio


def cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def raise_if_cancelling(exc: BaseException) -> None:
    if cancelling():
        raise asyncio.CancelledError() from exc
