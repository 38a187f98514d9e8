"""A local stand-in for the WeCom, DingTalk and Feishu HTTP APIs (and DingTalk's Stream gateway).

It records every call, checks credentials and signatures the way the platforms do,
and can be told to answer the next calls with an expired-token, rate-limit or
server error, so the channels' refresh, backoff and retry paths run for real.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.channels.dingtalk_sign import signature_matches as dingtalk_sign_ok


@dataclass
class Call:
    platform: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class FakePlatforms:
    wecom_corp_id: str = "wwcorp"
    wecom_secret: str = "wecom-secret"
    dingtalk_app_key: str = "ding-key"
    dingtalk_app_secret: str = "ding-secret"
    dingtalk_webhook_secret: str = "SECwebhook"
    feishu_app_id: str = "cli_app"
    feishu_app_secret: str = "feishu-secret"
    feishu_bot_open_id: str = "ou_bot"
    calls: list[Call] = field(default_factory=list)
    # path suffix -> list of canned (status, body) answers used before the normal one
    scripted: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    tokens_issued: dict[str, int] = field(default_factory=dict)
    stream_frames: list[dict[str, Any] | str] = field(default_factory=list)  # str: sent as raw text
    stream_acks: list[dict[str, Any]] = field(default_factory=list)
    stream_connections: int = 0
    feishu_ws_frames: list[bytes] = field(default_factory=list)
    feishu_ws_received: list[bytes] = field(default_factory=list)
    feishu_ws_connections: int = 0
    _sockets: set[web.WebSocketResponse] = field(default_factory=set)
    _changed: asyncio.Condition | None = None

    # --- test helpers ----------------------------------------------------------------------

    def script(self, path_suffix: str, *answers: tuple[int, dict[str, Any]]) -> None:
        self.scripted.setdefault(path_suffix, []).extend(answers)

    def sent(self, platform: str, path_part: str = "") -> list[Call]:
        return [
            c for c in self.calls if c.platform == platform and path_part in c.path and "token" not in c.path.lower()
        ]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Bounded wait for a call to arrive (the bot answers in the background)."""
        assert self._changed is not None
        async with self._changed:
            result = await asyncio.wait_for(self._changed.wait_for(predicate), timeout)
        return result

    async def _record(self, platform: str, request: web.Request) -> Call:
        raw = await request.read()
        try:
            body: Any = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw.decode(errors="replace")
        call = Call(platform, request.path, dict(request.query), dict(request.headers), body)
        self.calls.append(call)
        return call

    async def _notify(self) -> None:
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    def _canned(self, path: str) -> web.Response | None:
        for suffix, answers in self.scripted.items():
            if path.endswith(suffix) and answers:
                status, body = answers.pop(0)
                return web.json_response(body, status=status)
        return None

    def _issue(self, platform: str) -> str:
        n = self.tokens_issued.get(platform, 0) + 1
        self.tokens_issued[platform] = n
        return f"{platform}-token-{n}"

    def _current(self, platform: str) -> str:
        return f"{platform}-token-{self.tokens_issued.get(platform, 0)}"

    # --- the app ---------------------------------------------------------------------------

    def app(self) -> web.Application:
        self._changed = asyncio.Condition()
        app = web.Application()
        app.on_shutdown.append(self._close_sockets)
        app.router.add_get("/cgi-bin/gettoken", self.wecom_token)
        app.router.add_post("/cgi-bin/{api:.*}", self.wecom_api)
        app.router.add_post("/v1.0/oauth2/accessToken", self.dingtalk_token)
        app.router.add_post("/v1.0/robot/{api:.*}", self.dingtalk_api)
        app.router.add_post("/robot/sendBySession", self.dingtalk_session_webhook)
        app.router.add_post("/robot/send", self.dingtalk_custom_webhook)
        app.router.add_post("/v1.0/gateway/connections/open", self.dingtalk_gateway_open)
        app.router.add_get("/dingtalk/gateway", self.dingtalk_gateway)
        app.router.add_post("/open-apis/auth/v3/tenant_access_token/internal", self.feishu_token)
        app.router.add_get("/open-apis/bot/v3/info", self.feishu_bot_info)
        app.router.add_post("/open-apis/im/v1/{api:.*}", self.feishu_api)
        app.router.add_post("/open-apis/bot/v2/hook/{hook}", self.feishu_webhook)
        app.router.add_post("/callback/ws/endpoint", self.feishu_ws_endpoint)
        app.router.add_get("/feishu/ws", self.feishu_ws)
        return app

    async def _close_sockets(self, _: web.Application) -> None:
        for ws in list(self._sockets):
            await ws.close()

    # WeCom
    async def wecom_token(self, request: web.Request) -> web.Response:
        await self._record("wecom", request)
        if request.query.get("corpid") != self.wecom_corp_id or request.query.get("corpsecret") != self.wecom_secret:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        return web.json_response(
            {"errcode": 0, "errmsg": "ok", "access_token": self._issue("wecom"), "expires_in": 7200}
        )

    async def wecom_api(self, request: web.Request) -> web.Response:
        call = await self._record("wecom", request)
        try:
            canned = self._canned(request.path)
            if canned is not None:
                return canned
            if "webhook/send" not in request.path and call.query.get("access_token") != self._current("wecom"):
                return web.json_response({"errcode": 40014, "errmsg": "invalid access_token"})
            return web.json_response({"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": "m1"})
        finally:
            await self._notify()

    # DingTalk
    async def dingtalk_token(self, request: web.Request) -> web.Response:
        call = await self._record("dingtalk", request)
        if call.body != {"appKey": self.dingtalk_app_key, "appSecret": self.dingtalk_app_secret}:
            return web.json_response({"code": "invalidClientIdOrSecret", "message": "bad"}, status=400)
        return web.json_response({"accessToken": self._issue("dingtalk"), "expireIn": 7200})

    async def dingtalk_api(self, request: web.Request) -> web.Response:
        call = await self._record("dingtalk", request)
        try:
            canned = self._canned(request.path)
            if canned is not None:
                return canned
            if call.headers.get("x-acs-dingtalk-access-token") != self._current("dingtalk"):
                return web.json_response({"code": "InvalidAuthentication", "message": "token"}, status=401)
            return web.json_response({"processQueryKey": "q1"})
        finally:
            await self._notify()

    async def dingtalk_session_webhook(self, request: web.Request) -> web.Response:
        await self._record("dingtalk", request)
        try:
            return self._canned(request.path) or web.json_response({"errcode": 0, "errmsg": "ok"})
        finally:
            await self._notify()

    async def dingtalk_custom_webhook(self, request: web.Request) -> web.Response:
        call = await self._record("dingtalk", request)
        try:
            canned = self._canned(request.path)
            if canned is not None:
                return canned
            ts, sign = call.query.get("timestamp", ""), call.query.get("sign", "")
            if not dingtalk_sign_ok(sign, ts, self.dingtalk_webhook_secret):
                return web.json_response({"errcode": 310000, "errmsg": "sign not match"})
            return web.json_response({"errcode": 0, "errmsg": "ok"})
        finally:
            await self._notify()

    async def dingtalk_gateway_open(self, request: web.Request) -> web.Response:
        call = await self._record("dingtalk", request)
        body = call.body or {}
        if body.get("clientId") != self.dingtalk_app_key or body.get("clientSecret") != self.dingtalk_app_secret:
            return web.json_response({"code": "invalidClient"}, status=401)
        host = request.host
        return web.json_response({"endpoint": f"ws://{host}/dingtalk/gateway", "ticket": "t+1/="})

    async def dingtalk_gateway(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("ticket") != "t+1/=":
            return web.Response(status=401)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.add(ws)
        self.stream_connections += 1
        await self._notify()
        frames, self.stream_frames = self.stream_frames, []
        for frame in frames:
            await (ws.send_str(frame) if isinstance(frame, str) else ws.send_json(frame))
        async for msg in ws:
            self.stream_acks.append(json.loads(msg.data))
            await self._notify()
        self._sockets.discard(ws)
        return ws

    # Feishu
    async def feishu_token(self, request: web.Request) -> web.Response:
        call = await self._record("feishu", request)
        if call.body != {"app_id": self.feishu_app_id, "app_secret": self.feishu_app_secret}:
            return web.json_response({"code": 10014, "msg": "app secret invalid"})
        return web.json_response({"code": 0, "msg": "ok", "tenant_access_token": self._issue("feishu"), "expire": 7200})

    def _feishu_auth_ok(self, call: Call) -> bool:
        return call.headers.get("Authorization") == f"Bearer {self._current('feishu')}"

    async def feishu_bot_info(self, request: web.Request) -> web.Response:
        call = await self._record("feishu", request)
        if not self._feishu_auth_ok(call):
            return web.json_response({"code": 99991663, "msg": "invalid token"})
        return web.json_response({"code": 0, "bot": {"open_id": self.feishu_bot_open_id, "app_name": "组工助手"}})

    async def feishu_api(self, request: web.Request) -> web.Response:
        call = await self._record("feishu", request)
        try:
            canned = self._canned(request.path)
            if canned is not None:
                return canned
            if not self._feishu_auth_ok(call):
                return web.json_response({"code": 99991663, "msg": "Invalid access token"})
            return web.json_response({"code": 0, "msg": "success", "data": {"message_id": "om_sent"}})
        finally:
            await self._notify()

    async def feishu_webhook(self, request: web.Request) -> web.Response:
        await self._record("feishu", request)
        try:
            return self._canned(request.path) or web.json_response({"code": 0, "msg": "success"})
        finally:
            await self._notify()

    async def feishu_ws_endpoint(self, request: web.Request) -> web.Response:
        call = await self._record("feishu", request)
        if call.body != {"AppID": self.feishu_app_id, "AppSecret": self.feishu_app_secret}:
            return web.json_response({"code": 514, "msg": "auth failed"})
        config = {"PingInterval": 120, "ReconnectCount": -1, "ReconnectInterval": 120, "ReconnectNonce": 30}
        url = f"ws://{request.host}/feishu/ws?device_id=dev1&service_id=7"
        return web.json_response({"code": 0, "msg": "ok", "data": {"URL": url, "ClientConfig": config}})

    async def feishu_ws(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("service_id") != "7":
            return web.Response(status=403)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.add(ws)
        self.feishu_ws_connections += 1
        frames, self.feishu_ws_frames = self.feishu_ws_frames, []
        for frame in frames:
            await ws.send_bytes(frame)
        async for msg in ws:
            self.feishu_ws_received.append(msg.data)
            await self._notify()
        self._sockets.discard(ws)
        return ws
