"""The web chat page (``/``): a logged-in person talks to the bot and reads their pushes, as themselves.

The page never names a user: the session cookie decides who speaks, and every
request that changes something (a message, taking pushes from the inbox) carries
the session's CSRF token.
"""

from __future__ import annotations

import html
import json
from importlib import resources
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.auth.logins import WebSession
from bot.auth.web import CSRF_HEADER, PAGE_HEADERS, csrf_ok, current_session, login_needed_page
from bot.channels.http_api import MAX_TEXT
from bot.channels.local import fetch_inbox
from bot.messages import ChatType, Incoming

if TYPE_CHECKING:
    from bot.app import OrgBot


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(
        data,
        status=status,
        dumps=lambda obj: json.dumps(obj, ensure_ascii=False),
        headers={"Cache-Control": "no-store"},
    )


class WebChat:
    def __init__(self, bot: OrgBot) -> None:
        self.bot = bot
        self.page = resources.files("bot").joinpath("static/chat.html").read_text(encoding="utf-8")

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/", self.show), web.post("/web/chat", self.chat), web.post("/web/inbox", self.inbox)]

    async def show(self, request: web.Request) -> web.Response:
        if not self.bot.config.api.web_chat:
            raise web.HTTPNotFound()
        session = await current_session(request, self.bot)
        if session is None:
            return login_needed_page(self.bot)
        user = session.user
        text = (
            self.page.replace("{{BOT_NAME}}", html.escape(self.bot.config.bot.name))
            .replace("{{USER_NAME}}", html.escape(f"{user.name}（{user.role.label}）"))
            .replace("{{CSRF}}", session.csrf)
        )
        return web.Response(text=text, content_type="text/html", headers=PAGE_HEADERS)

    async def _checked(self, request: web.Request, *, activity: bool = True) -> WebSession | web.Response:
        if not self.bot.config.api.web_chat:
            raise web.HTTPNotFound()
        session = await current_session(request, self.bot, activity=activity)
        if session is None:
            return _json({"error": "登录已失效，请重新登录", "login": True}, status=401)
        if not csrf_ok(request, self.bot, session, request.headers.get(CSRF_HEADER, "")):
            return _json({"error": "安全校验失败（CSRF）：请刷新页面后重试"}, status=403)
        return session

    async def chat(self, request: web.Request) -> web.Response:
        session = await self._checked(request)
        if isinstance(session, web.Response):
            return session
        try:
            body = json.loads(await request.text())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _json({"error": "请求体不是有效的 JSON"}, status=400)
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip():
            return _json({"error": "text 应为非空字符串"}, status=400)
        if len(text) > MAX_TEXT:
            return _json({"error": f"消息过长（最多 {MAX_TEXT} 个字符）"}, status=400)
        user_id = session.user.user_id
        message = Incoming(
            channel="web",
            chat_id=f"web:{user_id}",
            chat_type=ChatType.PRIVATE,
            sender_id=user_id,
            text=text,
            sender_name=session.user.name,
            mentioned_bot=True,
        )
        replies = await self.bot.handle(message) or []
        return _json({"replies": [{"text": r.text, "format": r.format.value} for r in replies]})

    async def inbox(self, request: web.Request) -> web.Response:
        session = await self._checked(request, activity=False)
        if isinstance(session, web.Response):
            return session
        rows = await fetch_inbox(self.bot, session.user.user_id)
        return _json({"messages": [{"text": r.text, "format": r.format, "at": r.created_at.isoformat()} for r in rows]})
