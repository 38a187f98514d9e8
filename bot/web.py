"""The aiohttp application: health probes, the HTTP channel, the web chat page, platform callbacks."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from bot.auth.web import LoginPages
from bot.channels.http_api import HttpApiChannel
from bot.console.site import mount as mount_console
from bot.inbox import InboxUnavailable
from bot.logs import request_id
from bot.metrics import routes as metrics_routes
from bot.storable_text import text_problem
from bot.web_chat import WebChat

if TYPE_CHECKING:
    from bot.app import OrgBot

log = logging.getLogger(__name__)

BOT_KEY: web.AppKey[OrgBot] = web.AppKey("bot")


@web.middleware
async def _request_context(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    token = request_id.set(request.headers.get("X-Request-Id") or uuid.uuid4().hex[:12])
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge:
        return web.json_response({"error": "请求体过大"}, status=413)
    except InboxUnavailable:
        # Never a 200 for a message that is not on disk: the platform retries a 5xx.
        log.exception("message not recorded on %s %s", request.method, request.path)
        return web.json_response({"error": "暂时无法记录消息，请稍后重试"}, status=503)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return web.json_response({"error": "服务器内部错误"}, status=500)
    finally:
        request_id.reset(token)


@web.middleware
async def _refuse_undecodable_headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """aiohttp passes header bytes that are not UTF-8 on as lone surrogates, which any later .encode() trips over."""
    for name, value in request.headers.items():
        if text_problem(value) is not None:
            return web.json_response({"error": f"请求头 {name} 含有无效的字符（应为 UTF-8）"}, status=400)
    return await handler(request)


def build_web_app(bot: OrgBot) -> web.Application:
    app = web.Application(
        client_max_size=bot.config.server.max_body_bytes,
        middlewares=[_refuse_undecodable_headers, _request_context],
    )
    app[BOT_KEY] = bot

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_: web.Request) -> web.Response:
        ok, why = await bot.ready()
        return web.json_response({"status": "ok" if ok else "unavailable", "detail": why}, status=200 if ok else 503)

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_routes(metrics_routes(bot))
    app.router.add_routes(WebChat(bot).routes())
    app.router.add_routes(LoginPages(bot).routes())
    app.router.add_routes(HttpApiChannel(bot).routes())
    for channel in bot.channels.values():
        app.router.add_routes(channel.routes())
    mount_console(app, bot)
    return app
