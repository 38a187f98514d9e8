"""What every channel provides to the engine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from aiohttp import web

from bot.messages import Outgoing

if TYPE_CHECKING:
    from bot.app import OrgBot


class DeliveryError(Exception):
    """A send failed. ``permanent`` means retrying cannot help (bad recipient, no permission)."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class Channel(Protocol):
    name: str

    def routes(self) -> list[web.RouteDef]:
        """HTTP routes this channel serves (callbacks); empty for none."""
        ...

    async def start(self, bot: OrgBot) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, message: Outgoing) -> None:
        """Deliver one message or raise DeliveryError."""
        ...
