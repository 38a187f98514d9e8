"""Access-token cache: one fetch at a time, refreshed before expiry, dropped on the platform's expired-token error.

Platforms cap how often tokens may be fetched and may return the same token until
it is close to expiry, so concurrent senders must share one fetch.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

# (token, lifetime in seconds)
TokenFetch = Callable[[], Awaitable[tuple[str, float]]]


class AccessToken:
    def __init__(
        self, fetch: TokenFetch, *, refresh_margin: float = 300.0, clock: Callable[[], float] = time.monotonic
    ):
        self._fetch = fetch
        self._margin = refresh_margin
        self._clock = clock
        self._token = ""
        self._refresh_at = 0.0
        self._lock = asyncio.Lock()
        self.fetches = 0

    def _valid(self) -> bool:
        return bool(self._token) and self._clock() < self._refresh_at

    async def get(self) -> str:
        if self._valid():
            return self._token
        async with self._lock:
            if not self._valid():
                token, lifetime = await self._fetch()
                self.fetches += 1
                self._token = token
                # A lifetime shorter than the margin would mean a fetch per call; use half of it instead.
                self._refresh_at = self._clock() + lifetime - min(self._margin, lifetime / 2)
            return self._token

    def invalidate(self, token: str) -> None:
        """Forget ``token`` unless another caller already replaced it."""
        if token == self._token:
            self._token = ""
            self._refresh_at = 0.0
