"""企业微信 / 政务微信: three surfaces, one channel.

- Self-built app (自建应用), ``/callback/wecom``: encrypted XML, private chats with
  the app only; answers and 1:1 pushes go out through ``message/send``.
- 智能机器人 (AI bot), ``/callback/wecom/bot``: encrypted JSON, 1:1 and group
  @-mentions; the answer is a stream the platform polls with refresh callbacks.
- Group robot webhook: send-only, for scheduled group notices (target chat
  ``webhook`` or ``webhook:<key>``).
Other chat ids are app-created group chats (``appchat/send``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from aiohttp import web
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from bot.channels.base import DeliveryError
from bot.channels.callback import items, obj, raw_query, refuse, refuse_unusable, within_window
from bot.channels.json_body import BadJson, parse_json_object
from bot.channels.outbound import call_json
from bot.channels.platform import PlatformChannel
from bot.channels.private_note import NOT_SENT_IN_GROUP, SENT_BY_APP_MESSAGE
from bot.channels.recipient_limits import RecipientLimit
from bot.channels.render import split_utf8, to_wecom_markdown, utf8_len
from bot.channels.tokens import AccessToken
from bot.channels.wecom_crypto import UndecryptablePayload, WeComCrypto, WeComCryptoError, decode_aes_key
from bot.config import Config, ConfigError, WecomConfig
from bot.messages import ChatType, Incoming, Outgoing, Reply, ReplyFormat

log = logging.getLogger(__name__)

NAME = "wecom"
WEBHOOK_CHAT = "webhook"
TEXT_LIMIT = 2048
MARKDOWN_LIMIT = 4096
STREAM_LIMIT = 20480
STREAM_TTL = 600.0
TOKEN_ERRORS = {40014, 42001, 40082}
RATE_ERRORS = {45009, 45033}
THINKING = "正在查询，请稍候…"


@dataclass
class _Stream:
    """One AI-bot answer in the making; WeCom polls it until ``finish``."""

    parts: list[str] = field(default_factory=list)
    finished: bool = False
    created: float = field(default_factory=time.monotonic)

    def content(self) -> str:
        text = "\n\n".join(self.parts) if self.parts else ("" if self.finished else THINKING)
        if utf8_len(text) > STREAM_LIMIT:
            text = split_utf8(text, STREAM_LIMIT - 64)[0] + "\n\n…（内容过长，已截断）"
        return text


def _xml(body: bytes | str) -> Element:
    try:
        return fromstring(body)
    except (ParseError, DefusedXmlException) as exc:
        raise UndecryptablePayload(f"XML 无效：{type(exc).__name__}") from exc


class WeComChannel(PlatformChannel):
    name = NAME
    label = "企业微信"
    # Outbox pace; per-member (30/min) and per-robot (20/min) limits are enforced in send().
    push_per_second = 10.0

    def __init__(self, cfg: WecomConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.api_base = cfg.api_base.rstrip("/")
        self.app_crypto = WeComCrypto.create(cfg.token, cfg.encoding_aes_key, cfg.corp_id) if cfg.token else None
        self.bot_crypto = WeComCrypto.create(cfg.bot_token, cfg.bot_encoding_aes_key, "") if cfg.bot_token else None
        self.can_send_app = bool(cfg.corp_id and cfg.secret and cfg.agent_id)
        self.token = AccessToken(self._fetch_token, refresh_margin=300)
        self.member_limit = RecipientLimit(30, 60)
        self.webhook_limit = RecipientLimit(20, 60)
        self.streams: dict[str, _Stream] = {}

    # --- lifecycle -------------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        routes: list[web.RouteDef] = []
        if self.app_crypto:
            routes += [web.get("/callback/wecom", self.verify_app_url), web.post("/callback/wecom", self.app_callback)]
        if self.bot_crypto:
            routes += [
                web.get("/callback/wecom/bot", self.verify_bot_url),
                web.post("/callback/wecom/bot", self.bot_callback),
            ]
        return routes

    # --- receiving -------------------------------------------------------------------------

    def _now(self) -> float:
        assert self.bot is not None
        return self.bot.clock.now().timestamp()

    def _checked(self, crypto: WeComCrypto, q: dict[str, str], encrypt: str) -> str:
        """Verify signature, then timestamp, then decrypt; raises WeComCryptoError or ValueError."""
        assert self.bot is not None
        crypto.verify(q["msg_signature"], q["timestamp"], q["nonce"], encrypt)
        if not within_window(q["timestamp"], self._now(), self.bot.config.bot.replay_window_seconds):
            raise TimeoutError("timestamp 超出允许的时间窗口")
        return crypto.decrypt(encrypt)

    async def _verify_url(self, request: web.Request, crypto: WeComCrypto, label: str) -> web.Response:
        q = raw_query(request)
        if not all(q.get(k) for k in ("msg_signature", "timestamp", "nonce", "echostr")):
            return refuse(label, 400, "缺少 msg_signature/timestamp/nonce/echostr 参数")
        try:
            plain = self._checked(crypto, q, q["echostr"])
        except TimeoutError as exc:
            return refuse(label, 403, str(exc))
        except WeComCryptoError as exc:
            return refuse(label, 401 if not isinstance(exc, UndecryptablePayload) else 400, str(exc))
        return web.Response(text=plain, content_type="text/plain")

    async def verify_app_url(self, request: web.Request) -> web.Response:
        assert self.app_crypto is not None
        return await self._verify_url(request, self.app_crypto, "wecom")

    async def verify_bot_url(self, request: web.Request) -> web.Response:
        assert self.bot_crypto is not None
        return await self._verify_url(request, self.bot_crypto, "wecom-bot")

    async def app_callback(self, request: web.Request) -> web.Response:
        assert self.app_crypto is not None and self.bot is not None
        q = raw_query(request)
        if not all(q.get(k) for k in ("msg_signature", "timestamp", "nonce")):
            return refuse("wecom", 400, "缺少 msg_signature/timestamp/nonce 参数")
        try:
            encrypt = _xml(await request.read()).findtext("Encrypt") or ""
            if not encrypt:
                raise UndecryptablePayload("缺少 Encrypt 字段")
            msg = _xml(self._checked(self.app_crypto, q, encrypt).encode())
        except TimeoutError as exc:
            return refuse("wecom", 403, str(exc))
        except UndecryptablePayload as exc:
            return refuse("wecom", 400, str(exc))
        except WeComCryptoError as exc:
            return refuse("wecom", 401, str(exc))
        incoming = self._app_incoming(msg)
        refused = refuse_unusable("wecom", incoming)
        if refused is not None:
            return refused
        if incoming is not None:
            await self.bot.accept(incoming)
        # An empty 200 tells WeCom "received, no passive reply"; the answer follows via message/send.
        return web.Response(text="")

    def _app_incoming(self, msg: Element) -> Incoming | None:
        kind = (msg.findtext("MsgType") or "").strip()
        sender = (msg.findtext("FromUserName") or "").strip()
        msg_id = (msg.findtext("MsgId") or "").strip()
        if kind == "event" or not sender or not msg_id:
            return None
        if kind == "text":
            text = msg.findtext("Content") or ""
        elif kind == "voice":
            text = msg.findtext("Recognition") or ""
        else:
            text = ""
        return Incoming(
            channel=NAME,
            chat_id=sender,
            chat_type=ChatType.PRIVATE,
            sender_id=sender,
            text=text.strip(),
            message_id=msg_id,
            mentioned_bot=True,
            raw={"surface": "app"},
        )

    async def bot_callback(self, request: web.Request) -> web.Response:
        assert self.bot_crypto is not None and self.bot is not None
        q = raw_query(request)
        if not all(q.get(k) for k in ("msg_signature", "timestamp", "nonce")):
            return refuse("wecom-bot", 400, "缺少 msg_signature/timestamp/nonce 参数")
        try:
            encrypt = parse_json_object(await request.read()).get("encrypt")
            if not isinstance(encrypt, str) or not encrypt:
                raise UndecryptablePayload("缺少 encrypt 字段")
            data = parse_json_object(self._checked(self.bot_crypto, q, encrypt))
        except TimeoutError as exc:
            return refuse("wecom-bot", 403, str(exc))
        except (UndecryptablePayload, BadJson) as exc:
            return refuse("wecom-bot", exc.status if isinstance(exc, BadJson) else 400, str(exc))
        except WeComCryptoError as exc:
            return refuse("wecom-bot", 401, str(exc))
        self._prune_streams()
        kind = data.get("msgtype")
        if kind == "stream":
            stream_id = str(obj(data.get("stream")).get("id", ""))
            return self._stream_reply(stream_id)
        incoming = self._bot_incoming(data)
        if incoming is None:
            return web.Response(text="")
        refused = refuse_unusable("wecom-bot", incoming)
        if refused is not None:
            return refused
        stream_id = "s" + hashlib.sha1(incoming.message_id.encode()).hexdigest()[:20]
        if stream_id not in self.streams:
            stream = self.streams[stream_id] = _Stream()
            raw = dict(incoming.raw or {}, stream_id=stream_id)
            try:
                new = await self.bot.accept(dataclasses.replace(incoming, raw=raw))
            except Exception:
                del self.streams[stream_id]
                raise
            if not new:
                stream.parts.append("这条消息已经处理过了。")
                stream.finished = True
        return self._stream_reply(stream_id)

    def _bot_incoming(self, data: dict[str, Any]) -> Incoming | None:
        kind = data.get("msgtype")
        msg_id = str(data.get("msgid") or "")
        sender = str(obj(data.get("from")).get("userid") or "")
        if kind == "event" or not msg_id or not sender:
            return None
        if kind == "text":
            text = str(obj(data.get("text")).get("content") or "")
        elif kind == "voice":
            text = str(obj(data.get("voice")).get("content") or "")
        elif kind == "mixed":
            parts = items(obj(data.get("mixed")).get("msg_item"))
            text = " ".join(str(obj(obj(i).get("text")).get("content") or "") for i in parts)
        else:
            text = ""
        group = data.get("chattype") == "group"
        if group:
            assert self.bot is not None
            text = text.replace(f"@{self.bot.config.bot.name}", " ")
            text = re.sub(r"^\s*@\S+\s*", "", text)
        return Incoming(
            channel=NAME,
            chat_id=str(data.get("chatid") or sender) if group else sender,
            chat_type=ChatType.GROUP if group else ChatType.PRIVATE,
            sender_id=sender,
            text=text.strip(),
            message_id=msg_id,
            mentioned_bot=True,
            raw={"surface": "aibot", "response_url": str(data.get("response_url") or "")},
        )

    def _stream_reply(self, stream_id: str) -> web.Response:
        assert self.bot_crypto is not None
        stream = self.streams.get(stream_id)
        if stream is None:
            body = {"id": stream_id, "finish": True, "content": "抱歉，这次回答已失效，请重新提问。"}
        else:
            body = {"id": stream_id, "finish": stream.finished, "content": stream.content()}
        plain = json.dumps({"msgtype": "stream", "stream": body}, ensure_ascii=False)
        encrypt = self.bot_crypto.encrypt(plain)
        timestamp, nonce = str(int(self._now())), secrets.token_hex(8)
        envelope = {
            "encrypt": encrypt,
            "msgsignature": self.bot_crypto.signature(timestamp, nonce, encrypt),
            "timestamp": timestamp,
            "nonce": nonce,
        }
        return web.json_response(envelope)

    def _prune_streams(self) -> None:
        cutoff = time.monotonic() - STREAM_TTL
        for sid in [sid for sid, s in self.streams.items() if s.created < cutoff]:
            del self.streams[sid]

    # --- sending ---------------------------------------------------------------------------

    async def send(self, message: Outgoing) -> None:
        origin = message.in_reply_to
        reply = message.reply
        if origin is not None and (origin.raw or {}).get("surface") == "aibot":
            await self._reply_aibot(origin, message)
            return
        target = message.target
        if target.is_user:
            await self._send_app(target.user_id, reply)
        elif target.chat_id == WEBHOOK_CHAT or target.chat_id.startswith(WEBHOOK_CHAT + ":"):
            await self._send_webhook(target.chat_id.partition(":")[2] or self.cfg.webhook_key, reply)
        elif target.chat_id:
            await self._send_appchat(target.chat_id, reply)
        else:
            raise DeliveryError("没有指定接收人或群", permanent=True)

    async def finish_answer(self, message: Incoming, answered: bool) -> None:
        """The answer is complete: tell the polling AI-bot stream to stop."""
        stream = self.streams.get((message.raw or {}).get("stream_id", ""))
        if stream is not None:
            if not answered and not stream.parts:
                stream.parts.append("抱歉，这次没能答复，请稍后再问一次。")
            stream.finished = True

    async def _reply_aibot(self, origin: Incoming, message: Outgoing) -> None:
        raw = origin.raw or {}
        stream = self.streams.get(raw.get("stream_id", ""))
        text = message.reply.text
        if message.reply.private and origin.is_group:
            if self.can_send_app:
                await self._send_app(origin.sender_id, message.reply)
                text = SENT_BY_APP_MESSAGE
            else:
                text = NOT_SENT_IN_GROUP
        if stream is not None and not stream.finished:
            stream.parts.append(to_wecom_markdown(text) if message.reply.format is ReplyFormat.MARKDOWN else text)
            return
        url = raw.get("response_url", "")
        if not url:
            raise DeliveryError("智能机器人的回复流已结束，且没有 response_url", permanent=True)
        resp = await call_json(
            self._session(),
            "POST",
            url,
            what="企业微信 response_url",
            json_body={"msgtype": "markdown", "markdown": {"content": to_wecom_markdown(text)}},
        )
        self._check(resp.body, "企业微信 response_url")

    async def _fetch_token(self) -> tuple[str, float]:
        resp = await call_json(
            self._session(),
            "GET",
            f"{self.api_base}/cgi-bin/gettoken",
            what="企业微信 gettoken",
            params={"corpid": self.cfg.corp_id, "corpsecret": self.cfg.secret},
        )
        code = resp.body.get("errcode", 0)
        if code == -1:
            raise DeliveryError("企业微信 gettoken：系统繁忙", retry_after=2)
        if code != 0 or not resp.body.get("access_token"):
            raise DeliveryError(f"企业微信 gettoken 失败（errcode {code}）：请检查 corp_id/secret", permanent=True)
        return str(resp.body["access_token"]), float(resp.body.get("expires_in") or 7200)

    def _check(self, body: dict[str, Any], what: str, limit_key: tuple[RecipientLimit, str] | None = None) -> None:
        code = body.get("errcode", 0)
        if code == 0:
            invalid = body.get("invaliduser")
            if invalid:
                raise DeliveryError(f"{what}：接收人无效（{invalid}）", permanent=True)
            return
        if code == -1:
            raise DeliveryError(f"{what}：系统繁忙", retry_after=2)
        if code in RATE_ERRORS:
            if limit_key:
                limit_key[0].penalize(limit_key[1], 60)
            raise DeliveryError(f"{what}：调用频率超限（errcode {code}）", retry_after=60)
        raise DeliveryError(f"{what} 失败（errcode {code}）", permanent=True)

    async def _with_token(
        self, path: str, payload: dict[str, Any], what: str, limit_key: tuple[RecipientLimit, str]
    ) -> None:
        for attempt in range(2):
            token = await self.token.get()
            resp = await call_json(
                self._session(),
                "POST",
                f"{self.api_base}{path}",
                what=what,
                params={"access_token": token},
                json_body=payload,
            )
            if resp.body.get("errcode") in TOKEN_ERRORS and attempt == 0:
                self.token.invalidate(token)
                continue
            self._check(resp.body, what, limit_key)
            return

    @staticmethod
    def _bodies(reply: Reply, *, text_key: str = "content") -> list[dict[str, Any]]:
        if reply.format is ReplyFormat.MARKDOWN:
            return [
                {"msgtype": "markdown", "markdown": {text_key: part}}
                for part in split_utf8(to_wecom_markdown(reply.text), MARKDOWN_LIMIT)
            ]
        return [{"msgtype": "text", "text": {text_key: part}} for part in split_utf8(reply.text, TEXT_LIMIT)]

    async def _send_app(self, user_id: str, reply: Reply) -> None:
        if not self.can_send_app:
            raise DeliveryError("未配置企业微信自建应用（corp_id/agent_id/secret），无法单独发消息", permanent=True)
        for body in self._bodies(reply):
            await self.member_limit.acquire(user_id)
            payload = {"touser": user_id, "agentid": int(self.cfg.agent_id), "safe": 0, **body}
            await self._with_token("/cgi-bin/message/send", payload, "企业微信应用消息", (self.member_limit, user_id))

    async def _send_appchat(self, chat_id: str, reply: Reply) -> None:
        if not self.can_send_app:
            raise DeliveryError("未配置企业微信自建应用，无法向群聊发消息", permanent=True)
        for body in self._bodies(reply):
            await self.member_limit.acquire(f"chat:{chat_id}")
            await self._with_token(
                "/cgi-bin/appchat/send",
                {"chatid": chat_id, "safe": 0, **body},
                "企业微信群聊消息",
                (self.member_limit, f"chat:{chat_id}"),
            )

    async def _send_webhook(self, key: str, reply: Reply) -> None:
        if not key:
            raise DeliveryError("未配置企业微信群机器人 webhook_key", permanent=True)
        for body in self._bodies(reply):
            if body["msgtype"] == "text" and reply.mentions:
                body["text"]["mentioned_list"] = list(reply.mentions)
            await self.webhook_limit.acquire(key, max_wait=10)
            resp = await call_json(
                self._session(),
                "POST",
                f"{self.api_base}/cgi-bin/webhook/send",
                what="企业微信群机器人",
                params={"key": key},
                json_body=body,
            )
            self._check(resp.body, "企业微信群机器人", (self.webhook_limit, key))


def from_config(config: Config) -> WeComChannel | None:
    cfg = config.wecom
    if not any((cfg.token, cfg.bot_token, cfg.webhook_key, cfg.secret)):
        return None
    if cfg.token and not (cfg.corp_id and cfg.encoding_aes_key):
        raise ConfigError(
            "[wecom] 设置了 token，还需要 corp_id 和 encoding_aes_key（应用“接收消息”页面上的 EncodingAESKey）"
        )
    if cfg.bot_token and not cfg.bot_encoding_aes_key:
        raise ConfigError("[wecom] 设置了 bot_token，还需要 bot_encoding_aes_key（智能机器人的 EncodingAESKey）")
    if cfg.secret and not (cfg.corp_id and cfg.agent_id):
        raise ConfigError("[wecom] 设置了 secret，还需要 corp_id 和 agent_id（应用的 AgentId）")
    if cfg.agent_id and not cfg.agent_id.isdigit():
        raise ConfigError(f"[wecom] agent_id 应为数字（应用的 AgentId），实际是 {cfg.agent_id!r}")
    for key, value in (("encoding_aes_key", cfg.encoding_aes_key), ("bot_encoding_aes_key", cfg.bot_encoding_aes_key)):
        if value:
            try:
                decode_aes_key(value)
            except ValueError as exc:
                raise ConfigError(f"[wecom] {key} 无效：{exc}") from exc
    return WeComChannel(cfg)
