"""The HTTP JSON channel: ``POST /api/v1/chat`` and ``GET /api/v1/inbox``, behind a bearer token.

The token speaks only for the people ``[api] act_as`` lists; any other ``user_id``
is answered as the guest ``api:<user_id>`` and its inbox is not the token's to read.
"""

from __future__ import annotations

import hmac
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.auth.act_as import ActAs
from bot.channels.json_body import BadJson, parse_json
from bot.channels.local import fetch_inbox
from bot.messages import ChatType, Incoming, Reply
from bot.storable_text import id_problem, incoming_problem

if TYPE_CHECKING:
    from bot.app import OrgBot

MAX_TEXT = 4000
MAX_ID = 128


def _json(data: Any, status: int = 200) -> web.Response:
    """JSON with Chinese left readable, for people trying the API with curl."""
    return web.json_response(data, status=status, dumps=lambda obj: json.dumps(obj, ensure_ascii=False))


def _error(status: int, message: str) -> web.Response:
    return _json({"error": message}, status=status)


def _authorized(request: web.Request, token: str) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def _reply_json(reply: Reply) -> dict[str, Any]:
    return {"text": reply.text, "format": reply.format.value, "private": reply.private}


def parse_chat_body(body: Any) -> tuple[str, str, str, str] | str:
    """Return (user_id, chat_id, text, chat_type) or an error message for the caller."""
    if not isinstance(body, dict):
        return "请求体应为 JSON 对象"
    user_id = body.get("user_id")
    text = body.get("text")
    chat_id = body.get("chat_id", user_id)
    chat_type = body.get("chat_type", "private")
    if not isinstance(user_id, str) or not user_id.strip() or len(user_id) > MAX_ID:
        return f"user_id 应为 1–{MAX_ID} 个字符的字符串"
    if not isinstance(chat_id, str) or not chat_id.strip() or len(chat_id) > MAX_ID:
        return f"chat_id 应为 1–{MAX_ID} 个字符的字符串"
    if not isinstance(text, str) or not text.strip():
        return "text 应为非空字符串"
    if len(text) > MAX_TEXT:
        return f"text 过长（最多 {MAX_TEXT} 个字符）"
    if chat_type not in ("private", "group"):
        return "chat_type 应为 private 或 group"
    return user_id.strip(), chat_id.strip(), text, chat_type


class HttpApiChannel:
    """Not a delivery channel of its own: pushes for API users wait in the local inbox."""

    name = "http"

    def __init__(self, bot: OrgBot) -> None:
        self.bot = bot
        self.act_as = ActAs(bot.config.api.act_as)

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/api/v1/chat", self.chat), web.get("/api/v1/inbox", self.inbox)]

    async def chat(self, request: web.Request) -> web.Response:
        if not _authorized(request, self.bot.api_token):
            return _error(401, "令牌无效：请在 Authorization 头中提供 Bearer <[api] token>")
        try:
            body = parse_json(await request.read())
        except BadJson as exc:
            return _error(exc.status, str(exc))
        parsed = parse_chat_body(body)
        if isinstance(parsed, str):
            return _error(400, parsed)
        user_id, chat_id, text, chat_type = parsed
        message = Incoming(
            channel="http",
            chat_id=chat_id,
            chat_type=ChatType(chat_type),
            sender_id=self.act_as.identity(user_id),
            text=text,
            mentioned_bot=True,
        )
        problem = incoming_problem(message)
        if problem is not None:
            return _error(400, problem)
        replies = await self.bot.handle(message) or []
        return _json({"replies": [_reply_json(r) for r in replies]})

    async def inbox(self, request: web.Request) -> web.Response:
        if not _authorized(request, self.bot.api_token):
            return _error(401, "令牌无效：请在 Authorization 头中提供 Bearer <[api] token>")
        user_id = request.query.get("user_id", "").strip()
        if not user_id or len(user_id) > MAX_ID:
            return _error(400, "请提供 user_id 参数")
        problem = id_problem(user_id)
        if problem is not None:
            return _error(400, f"user_id {problem}")
        if not self.act_as.may_act_as(user_id):
            return _error(403, f"此令牌不能代表 {user_id} 读取推送：请在 [api] act_as 中列出该用户")
        rows = await fetch_inbox(self.bot, user_id)
        return _json({"messages": [{"text": r.text, "format": r.format, "at": r.created_at.isoformat()} for r in rows]})
