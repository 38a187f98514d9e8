"""What every platform callback shares: strict query parsing, the replay window, refusals."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from bot.messages import Incoming
from bot.storable_text import incoming_problem

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
