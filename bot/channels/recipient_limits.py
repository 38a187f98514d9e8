"""Outbound rate limits per recipient (a robot, a member, a chat), with penalties after a platform says "too many".

Some limits drop excess messages silently (WeCom app: 30 per member per minute), so
they must be enforced on our side. A wait longer than the caller accepts becomes a
DeliveryError with retry_after, so the outbox reschedules instead of blocking.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

from bot.channels.base import DeliveryError


class RecipientLimit:
    def __init__(self, limit: int, per_seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.per = per_seconds
        self._clock = clock
        self._sent: dict[str, deque[float]] = {}
        self._blocked_until: dict[str, float] = {}

    def delay(self, key: str) -> float:
        """Seconds until one more message may go to ``key``."""
        now = self._clock()
        wait = max(0.0, self._blocked_until.get(key, 0.0) - now)
        window = self._sent.get(key)
        if window:
            while window and window[0] <= now - self.per:
                window.popleft()
            if len(window) >= self.limit:
                wait = max(wait, window[0] + self.per - now)
        return wait

    def _record(self, key: str) -> None:
        self._sent.setdefault(key, deque()).append(self._clock())
        if len(self._sent) > 10_000:
            now = self._clock()
            for k in [k for k, w in self._sent.items() if not w or w[-1] <= now - self.per]:
                del self._sent[k]

    async def acquire(self, key: str, max_wait: float = 5.0) -> None:
        while True:
            wait = self.delay(key)
            if wait <= 0:
                self._record(key)
                return
            if wait > max_wait:
                raise DeliveryError(f"发送过于频繁，{wait:.0f} 秒后重试", retry_after=wait)
            await asyncio.sleep(wait)

    def penalize(self, key: str, seconds: float) -> None:
        self._blocked_until[key] = max(self._blocked_until.get(key, 0.0), self._clock() + seconds)
