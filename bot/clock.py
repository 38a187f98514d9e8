"""Time as a service, so scheduling tests drive time instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when


def local_minute(value: object, timezone: str) -> str:
    """'2026-11-28 09:35' in ``timezone`` for a stored timestamp (naive values are UTC,
    as SQLite returns them); anything else is shown as it is."""
    if not isinstance(value, datetime):
        return str(value or "")[:16]
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
