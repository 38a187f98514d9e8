"""What the three IM channels share: a client session for the platform's API and, in the
WebSocket modes (DingTalk Stream, Feishu long connection), one long-lived receiver task."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

import aiohttp

from bot.cancellation import raise_if_cancelling
from bot.channels.base import DeliveryError

if TYPE_CHECKING:
    from bot.app import OrgBot

log = logging.getLogger(__name__)


class PlatformChannel:
    name = ""
    label = ""  # the platform's name as users know it, for messages

    def __init__(self) -> None:
        self.bot: OrgBot | None = None
        self.session: aiohttp.ClientSession | None = None
        self._receiver_task: asyncio.Task[None] | None = None

    def _receiver(self) -> Coroutine[Any, Any, None] | None:
        """The outbound connection that receives events, when the platform is used that way."""
        return None

    async def start(self, bot: OrgBot) -> None:
        self.bot = bot
        self.session = aiohttp.ClientSession()
        receiver = self._receiver()
        if receiver is not None:
            self._receiver_task = asyncio.create_task(receiver, name=f"{self.name}-receiver")

    async def stop(self) -> None:
        if self._receiver_task is not None:
            self._receiver_task.cancel()
            await asyncio.gather(self._receiver_task, return_exceptions=True)
            self._receiver_task = None
        if self.session is not None:
            await self.session.close()
            self.session = None

    def _session(self) -> aiohttp.ClientSession:
        if self.session is None:
            raise DeliveryError(f"{self.label}通道尚未启动")
        return self.session


async def reconnect_forever(
    connect_once: Callable[[], Awaitable[None]],
    what: str,
    max_backoff: float,
    on_drop: Callable[[], None] | None = None,
) -> None:
    """Keep an outbound platform connection up until cancelled.

    After a failure wait 1 s doubling to ``max_backoff``, with jitter so that many
    instances restarting together do not reconnect in lockstep.
    """
    backoff = 1.0
    while True:
        try:
            await connect_once()
            backoff = 1.0
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            raise_if_cancelling(exc)
            log.warning("%s failed: %s", what, f"{type(exc).__name__}: {str(exc)[:200]}")
        finally:
            if on_drop is not None:
                on_drop()
        await asyncio.sleep(backoff * (0.5 + random.random() / 2))
        backoff = min(max_backoff, backoff * 2)
