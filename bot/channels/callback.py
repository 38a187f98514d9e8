"""What every platform callback shares: strict query parsing, the replay window, refusals, answering later."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from aiohttp import web

from bot.channels.outbound import with_retries
from bot.messages import Incoming, Outgoing, Target
from bot.storable_text import incoming_problem

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from bot.app import OrgBot

log = logging.getLogger(__name__)


def raw_query(request: web.Request) -> dict[str, str]:
    """Percent-decode the query without turning '+' into a space: WeCom's base64 echostr may carry a raw '+'."""
    out: dict[str, str] = {}
    for pair in request.rel_url.raw_query_string.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        out.setdefault(unquote(key), unquote(value))
    return out


def obj(value: Any) -> dict[str, Any]:
    """A nested JSON object, or {} when the platform (or a forger) sent something else there."""
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def within_window(timestamp: str, now_seconds: float, window: float, *, milliseconds: bool = False) -> bool:
    try:
        value = int(timestamp)
    except (TypeError, ValueError):
        return False
    seconds = value / 1000 if milliseconds else value
    return abs(now_seconds - seconds) <= window


def refuse(channel: str, status: int, why: str) -> web.Response:
    """One log line, a short Chinese reason, never a 500 and never a secret."""
    log.warning("%s callback refused (%d): %s", channel, status, why)
    return web.json_response({"error": why}, status=status, dumps=_dumps)


def refuse_unusable(channel: str, message: Incoming | None) -> web.Response | None:
    """A 400 for a message whose ids or text the database cannot take (NUL, lone surrogate, overlong id)."""
    why = incoming_problem(message) if message is not None else None
    return None if why is None else refuse(channel, 400, why)


def _dumps(obj: object) -> str:
    import json

    return json.dumps(obj, ensure_ascii=False)


def reply_target(message: Incoming, private: bool) -> Target:
    """Private replies and 1:1 chats go to the person; group replies to the group."""
    if private or not message.is_group:
        return Target(message.channel, user_id=message.sender_id)
    return Target(message.channel, chat_id=message.chat_id)


class AnswerGate:
    """Bounds how many answers one channel works on at once.

    A burst of callbacks must not turn into thousands of concurrent handler runs: they
    would crowd the event loop and slow down the acknowledgements the platforms time.
    Waiting here costs nothing; the callback was already acknowledged.
    """

    def __init__(self, concurrency: int = 8) -> None:
        self.concurrency = concurrency
        self._semaphore: asyncio.Semaphore | None = None

    @property
    def semaphore(self) -> asyncio.Semaphore:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.concurrency)
        return self._semaphore


async def answer(
    bot: OrgBot,
    message: Incoming,
    send: Callable[[Outgoing], Awaitable[None]],
    after: Callable[[bool], Awaitable[None]] | None = None,
    gate: AnswerGate | None = None,
) -> None:
    """Run the message through the bot and deliver each reply; ``after(answered)`` closes platform sessions."""
    if gate is not None:
        async with gate.semaphore:
            await answer(bot, message, send, after)
        return
    answered = False
    try:
        replies = await bot.handle(message)
        answered = replies is not None
        for reply in replies or []:
            outgoing = Outgoing(reply_target(message, reply.private), reply, in_reply_to=message)

            async def attempt(o: Outgoing = outgoing) -> None:
                await send(o)

            await with_retries(attempt, what=f"{message.channel} reply")
    finally:
        if after is not None:
            await after(answered)


def answer_later(
    bot: OrgBot,
    message: Incoming,
    send: Callable[[Outgoing], Awaitable[None]],
    after: Callable[[bool], Awaitable[None]] | None = None,
    gate: AnswerGate | None = None,
) -> None:
    """Acknowledge now, answer afterwards: a slow answer must never make the platform retry."""
    bot.spawn(answer(bot, message, send, after, gate), name=f"{message.channel}-answer")
