"""钉钉 Stream mode: receive robot messages over an outbound WebSocket, for deployments without a public URL.

Protocol: POST ``{api_base}/v1.0/gateway/connections/open`` with the AppKey/AppSecret
and the topics wanted → ``{endpoint, ticket}``; connect to ``endpoint?ticket=…``;
every frame is JSON and is acknowledged on the same socket with its
``headers.messageId``. Robot messages are CALLBACK frames on
``/v1.0/im/bot/messages/get``; the SYSTEM ``disconnect`` topic asks for a reconnect.
Replies never go through the socket (sessionWebhook / OpenAPI instead).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.channels.callback import obj
from bot.channels.json_body import BadJson, parse_json, parse_json_object
from bot.channels.outbound import call_json
from bot.channels.platform import reconnect_forever
from bot.inbox import InboxUnavailable

log = logging.getLogger(__name__)

BOT_TOPIC = "/v1.0/im/bot/messages/get"
USER_AGENT = "orgbot/0.1"
MAX_BACKOFF = 60.0


def ack_frame(message_id: str, data: str, code: int = 200, message: str = "") -> dict[str, Any]:
    return {
        "code": code,
        "headers": {"contentType": "application/json", "messageId": message_id},
        "message": message,
        "data": data,
    }


class StreamClient:
    def __init__(
        self,
        api_base: str,
        app_key: str,
        app_secret: str,
        on_message: Callable[[dict[str, Any]], Awaitable[object]],
        session: aiohttp.ClientSession,
    ) -> None:
        self.api_base = api_base.rstrip("/")
        self.app_key = app_key
        self.app_secret = app_secret
        self.on_message = on_message
        self.session = session
        self.connected = asyncio.Event()
        self.connections = 0

    async def run(self) -> None:
        """Stay connected until cancelled, backing off (1 s doubling to 60 s, with jitter) after failures."""
        await reconnect_forever(self._connect_once, "dingtalk stream connection", MAX_BACKOFF, self.connected.clear)

    async def _open(self) -> tuple[str, str]:
        resp = await call_json(
            self.session,
            "POST",
            f"{self.api_base}/v1.0/gateway/connections/open",
            what="钉钉 Stream 网关",
            json_body={
                "clientId": self.app_key,
                "clientSecret": self.app_secret,
                "subscriptions": [{"type": "CALLBACK", "topic": BOT_TOPIC}],
                "ua": USER_AGENT,
                "localIp": "",
            },
        )
        endpoint, ticket = resp.body.get("endpoint"), resp.body.get("ticket")
        if resp.status != 200 or not endpoint or not ticket:
            raise ConnectionError(f"网关拒绝连接（HTTP {resp.status} {resp.body.get('code', '')}）")
        return str(endpoint), str(ticket)

    async def _connect_once(self) -> None:
        endpoint, ticket = await self._open()
        sep = "&" if "?" in endpoint else "?"
        async with self.session.ws_connect(f"{endpoint}{sep}ticket={quote(ticket, safe='')}", heartbeat=60) as ws:
            self.connections += 1
            self.connected.set()
            log.info("dingtalk stream connected")
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    if msg.type in (aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSE):
                        break
                    continue
                if await self._frame(ws, msg.data) == "reconnect":
                    break

    async def _frame(self, ws: aiohttp.ClientWebSocketResponse, text: str) -> str:
        try:
            frame = parse_json_object(text)
        except BadJson as exc:
            log.warning("dingtalk stream: unreadable frame ignored (%s)", exc)
            return ""
        headers = obj(frame.get("headers"))
        kind, topic, message_id = frame.get("type"), headers.get("topic"), str(headers.get("messageId") or "")
        data = frame.get("data") or ""
        if kind == "SYSTEM":
            if topic == "disconnect":
                return "reconnect"
            await ws.send_json(ack_frame(message_id, data))
            return ""
        if kind == "CALLBACK" and topic == BOT_TOPIC:
            try:
                payload = parse_json(data if isinstance(data, str) else "")
            except BadJson:
                await ws.send_json(ack_frame(message_id, "", 400, "bad data"))
                return ""
            if isinstance(payload, dict):
                try:
                    await self.on_message(payload)
                except InboxUnavailable:
                    # Not recorded, so not acknowledged: the platform delivers it again.
                    log.warning("dingtalk stream message not recorded (database unavailable)")
                    await ws.send_json(ack_frame(message_id, "", 500, "temporarily unavailable"))
                    return ""
            await ws.send_json(ack_frame(message_id, json.dumps({"response": None})))
            return ""
        if kind == "EVENT":
            await ws.send_json(ack_frame(message_id, json.dumps({"status": "SUCCESS", "message": "success"})))
            return ""
        await ws.send_json(ack_frame(message_id, "", 404, "not implemented"))
        return ""
