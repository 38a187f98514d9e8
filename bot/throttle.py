"""Messages per person per minute, counted in memory on each instance.

Not a security control (the lookup quota in ``bot.cadres.lookup_quota`` is the durable one):
it keeps one person's flood from occupying the answer workers.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable

MAX_TRACKED = 50_000


class SenderThrottle:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()
        self._noted: set[str] = set()

    def allow(self, key: str) -> bool:
        if self.per_minute <= 0:
            return True
        now = self.clock()
        times = self._seen.get(key)
        if times is None:
            times = self._seen[key] = deque()
            if len(self._seen) > MAX_TRACKED:
                old, _ = self._seen.popitem(last=False)
                self._noted.discard(old)
        else:
            self._seen.move_to_end(key)
        while times and now - times[0] >= 60:
            times.popleft()
        if len(times) >= self.per_minute:
            return False
        times.append(now)
        self._noted.discard(key)
        return True

    def first_refusal(self, key: str) -> bool:
        """True once per flood, so the person is told once rather than at every message."""
        if key in self._noted:
            return False
        self._noted.add(key)
        return True
