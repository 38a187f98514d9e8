"""飞书 long-connection (WebSocket) mode: events without a public callback URL.

Protocol (as the official SDKs speak it): POST ``{api_base}/callback/ws/endpoint``
with AppID/AppSecret → ``data.URL`` (carrying ``service_id``) and client settings;
connect; frames are protobuf ``pbbp2.Frame`` messages. Method 0 frames are control
(ping/pong, the pong may carry new settings); method 1 frames are data, with headers
``type`` (event|card), ``message_id``, ``sum``/``seq`` (a payload split in parts) and
``trace_id``. Each data frame is answered with the same frame whose payload is
``{"code": 200}``. Events arrive already authenticated and in plaintext, and must be
answered within 3 s, so the handler only hands them on.

The frame codec is written out here (a dozen lines of protobuf wire format) rather
than pulling the SDK, whose client blocks and owns its own event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

import aiohttp

from bot.channels.json_body import BadJson, parse_json_object
from bot.channels.outbound import call_json
from bot.channels.platform import reconnect_forever
from bot.inbox import InboxUnavailable

log = logging.getLogger(__name__)

CONTROL, DATA = 0, 1
MAX_BACKOFF = 120.0
PART_TTL = 10.0


# --- protobuf wire format for pbbp2.Frame ------------------------------------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    value &= (1 << 64) - 1
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _field(number: int, wire: int) -> bytes:
    return _varint(number << 3 | wire)


def _bytes_field(number: int, value: bytes) -> bytes:
    return _field(number, 2) + _varint(len(value)) + value


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(data, pos)
            out.append((number, value))
        elif wire == 2:
            length, pos = _read_varint(data, pos)
            if pos + length > len(data):
                raise ValueError("truncated field")
            out.append((number, data[pos : pos + length]))
            pos += length
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
    return out


@dataclass
class Frame:
    seq_id: int = 0
    log_id: int = 0
    service: int = 0
    method: int = 0
    headers: list[tuple[str, str]] = field(default_factory=list)
    payload: bytes = b""
    payload_encoding: str = ""
    payload_type: str = ""
    log_id_new: str = ""

    def header(self, key: str) -> str:
        return next((v for k, v in self.headers if k == key), "")

    def encode(self) -> bytes:
        out = bytearray()
        out += _field(1, 0) + _varint(self.seq_id)
        out += _field(2, 0) + _varint(self.log_id)
        out += _field(3, 0) + _varint(self.service)
        out += _field(4, 0) + _varint(self.method)
        for key, value in self.headers:
            out += _bytes_field(5, _bytes_field(1, key.encode()) + _bytes_field(2, value.encode()))
        if self.payload_encoding:
            out += _bytes_field(6, self.payload_encoding.encode())
        if self.payload_type:
            out += _bytes_field(7, self.payload_type.encode())
        if self.payload:
            out += _bytes_field(8, self.payload)
        if self.log_id_new:
            out += _bytes_field(9, self.log_id_new.encode())
        return bytes(out)

    @classmethod
    def decode(cls, data: bytes) -> Frame:
        frame = cls()
        for number, value in _fields(data):
            if isinstance(value, int):
                if number == 1:
                    frame.seq_id = value
                elif number == 2:
                    frame.log_id = value
                elif number == 3:
                    frame.service = value - (1 << 64) if value >= 1 << 63 else value
                elif number == 4:
                    frame.method = value
            elif number == 5:
                pair = dict(_fields(value))
                key, val = pair.get(1, b""), pair.get(2, b"")
                if isinstance(key, bytes) and isinstance(val, bytes):
                    frame.headers.append((key.decode(), val.decode()))
            elif number == 6:
                frame.payload_encoding = value.decode()
            elif number == 7:
                frame.payload_type = value.decode()
            elif number == 8:
                frame.payload = value
            elif number == 9:
                frame.log_id_new = value.decode()
        return frame


# --- the client ---------------------------------------------------------------------------


class LongConnectionClient:
    def __init__(
        self,
        api_base: str,
        app_id: str,
        app_secret: str,
        on_event: Callable[[dict[str, Any]], Awaitable[None]],
        session: aiohttp.ClientSession,
    ) -> None:
        self.api_base = api_base.rstrip("/")
        self.app_id = app_id
        self.app_secret = app_secret
        self.on_event = on_event
        self.session = session
        self.ping_interval = 120.0
        self.connections = 0
        self._parts: dict[str, tuple[float, list[bytes | None]]] = {}

    async def run(self) -> None:
        """Stay connected until cancelled; back off (1 s doubling to 2 min, with jitter) after failures."""
        await reconnect_forever(self._connect_once, "feishu long connection", MAX_BACKOFF)

    def _configure(self, conf: dict[str, Any]) -> None:
        interval = conf.get("PingInterval")
        if isinstance(interval, (int, float)) and interval > 0:
            self.ping_interval = float(interval)

    async def _endpoint(self) -> str:
        resp = await call_json(
            self.session,
            "POST",
            f"{self.api_base}/callback/ws/endpoint",
            what="飞书长连接地址",
            json_body={"AppID": self.app_id, "AppSecret": self.app_secret},
            headers={"locale": "zh"},
        )
        data = resp.body.get("data") or {}
        if resp.status != 200 or resp.body.get("code") != 0 or not data.get("URL"):
            raise ConnectionError(f"获取长连接地址失败（HTTP {resp.status}，code {resp.body.get('code')}）")
        self._configure(data.get("ClientConfig") or {})
        return str(data["URL"])

    async def _connect_once(self) -> None:
        url = await self._endpoint()
        service_id = int((parse_qs(urlparse(url).query).get("service_id") or ["0"])[0])
        async with self.session.ws_connect(url) as ws:
            self.connections += 1
            log.info("feishu long connection established")
            pinger = asyncio.create_task(self._ping(ws, service_id))
            try:
                async for msg in ws:
                    if msg.type == aiohttp.WSMsgType.BINARY:
                        await self._frame(ws, msg.data)
                    elif msg.type in (aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSE):
                        break
            finally:
                pinger.cancel()
                await asyncio.gather(pinger, return_exceptions=True)

    async def _ping(self, ws: aiohttp.ClientWebSocketResponse, service_id: int) -> None:
        while True:
            await ws.send_bytes(Frame(service=service_id, method=CONTROL, headers=[("type", "ping")]).encode())
            await asyncio.sleep(self.ping_interval)

    def _combine(self, message_id: str, total: int, seq: int, payload: bytes) -> bytes | None:
        now = time.monotonic()
        for key in [k for k, (t, _) in self._parts.items() if t < now - PART_TTL]:
            del self._parts[key]
        _started, parts = self._parts.setdefault(message_id, (now, [None] * total))
        if len(parts) != total or not 0 <= seq < total:
            return None
        parts[seq] = payload
        if any(p is None for p in parts):
            return None
        del self._parts[message_id]
        return b"".join(p for p in parts if p is not None)

    async def _frame(self, ws: aiohttp.ClientWebSocketResponse, data: bytes) -> None:
        try:
            frame = Frame.decode(data)
        except (ValueError, UnicodeDecodeError):
            log.warning("feishu long connection: unreadable frame ignored")
            return
        kind = frame.header("type")
        if frame.method == CONTROL:
            if kind == "pong" and frame.payload:
                with contextlib.suppress(BadJson):
                    self._configure(parse_json_object(frame.payload))
            return
        payload = frame.payload
        total = int(frame.header("sum") or 1)
        if total > 1:
            combined = self._combine(frame.header("message_id"), total, int(frame.header("seq") or 0), frame.payload)
            if combined is None:
                return
            payload = combined
        started = time.monotonic()
        code = 200
        if kind == "event":
            try:
                await self.on_event(parse_json_object(payload))
            except BadJson as exc:
                log.warning("feishu long connection: event refused (%s)", exc)
                code = 500
            except InboxUnavailable:
                log.warning("feishu event not recorded (database unavailable); the platform will resend it")
                code = 500
        frame.headers.append(("biz_rt", str(int((time.monotonic() - started) * 1000))))
        frame.payload = json.dumps({"code": code}).encode()
        await ws.send_bytes(frame.encode())
