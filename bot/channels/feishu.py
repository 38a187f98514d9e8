"""飞书 / Lark custom app: event subscription v2 over HTTP, replies and pushes through the IM API.

Receiving: ``/callback/feishu``; with an Encrypt Key the body is ``{"encrypt": …}``
and carries an ``X-Lark-Signature`` over the raw body; without one, only the
Verification Token in the event header vouches for it. The URL-verification
challenge is answered inline; message events are acknowledged at once and answered
afterwards. Group answers are threaded replies to the asker's message. With
``long_connection = true`` the same events come over an outbound WebSocket instead
(bot/channels/feishu_ws.py) and no callback URL is needed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Coroutine
from typing import Any

from aiohttp import web

from bot.channels import feishu_crypto
from bot.channels.base import DeliveryError
from bot.channels.callback import items, obj, refuse, within_window
from bot.channels.json_body import BadJson, parse_json, parse_json_object
from bot.channels.outbound import call_json
from bot.channels.platform import PlatformChannel
from bot.channels.private_note import SENT_PRIVATELY
from bot.channels.recipient_limits import RecipientLimit
from bot.channels.render import split_utf8, to_feishu_card_markdown
from bot.channels.tokens import AccessToken
from bot.config import Config, ConfigError, FeishuConfig
from bot.messages import ChatType, Incoming, Outgoing, Reply, ReplyFormat, Target

log = logging.getLogger(__name__)

NAME = "feishu"
WEBHOOK_CHAT = "webhook"
TEXT_LIMIT = 30_000
CARD_LIMIT = 20_000
TOKEN_ERRORS = {99991663, 99991661, 99991668, 99991664}
RATE_ERRORS = {230020, 11232, 99991400, 9499}
MESSAGE_EVENT = "im.message.receive_v1"


def _text_of(message: dict[str, Any]) -> str:
    raw = message.get("content") or "{}"
    try:
        content = parse_json(raw) if isinstance(raw, str) else None
    except BadJson:
        return ""
    if not isinstance(content, dict):
        return ""
    kind = message.get("message_type")
    if kind == "text":
        return str(content.get("text") or "")
    if kind == "post":
        post = content if "content" in content else next(iter(content.values()), {})
        lines = []
        for para in items(obj(post).get("content")):
            lines.append("".join(str(obj(el).get("text") or "") for el in items(para)))
        return "\n".join(lines)
    return ""


def _people(reply: Reply, asker: str) -> list[str]:
    """Whom to @: the asker (when wanted) and the reply's own mentions (open_ids or user_ids)."""
    return list(dict.fromkeys([asker, *reply.mentions] if asker else reply.mentions))


def _receive_id_type(user_id: str) -> str:
    if user_id.startswith("ou_"):
        return "open_id"
    if user_id.startswith("on_"):
        return "union_id"
    if "@" in user_id:
        return "email"
    return "user_id"


class FeishuChannel(PlatformChannel):
    name = NAME
    label = "飞书"
    # Outbox pace: the tenant message service allows about 5 sends a second.
    push_per_second = 5.0

    def __init__(self, cfg: FeishuConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.api_base = cfg.api_base.rstrip("/")
        # The platform hands out a fresh token when less than 30 minutes remain.
        self.token = AccessToken(self._fetch_token, refresh_margin=1800)
        self.receiver_limit = RecipientLimit(5, 1.0)
        self.app_limit = RecipientLimit(cfg.app_sends_per_second, 1.0)
        self.webhook_limit = RecipientLimit(5, 1.0)
        self.bot_open_id = ""
        self.long_connection: Any = None

    def routes(self) -> list[web.RouteDef]:
        if self.cfg.app_id and not self.cfg.long_connection:
            return [web.post("/callback/feishu", self.callback)]
        return []

    def _receiver(self) -> Coroutine[Any, Any, None] | None:
        if not self.cfg.long_connection:
            return None
        from bot.channels.feishu_ws import LongConnectionClient

        self.long_connection = LongConnectionClient(
            self.api_base, self.cfg.app_id, self.cfg.app_secret, self.on_event, self._session()
        )
        return self.long_connection.run()

    # --- receiving -------------------------------------------------------------------------

    async def callback(self, request: web.Request) -> web.Response:
        assert self.bot is not None
        body = await request.read()
        try:
            outer = parse_json_object(body)
        except BadJson as exc:
            return refuse(NAME, exc.status, str(exc))
        # Verify before decrypting; only the URL-verification challenge arrives unsigned.
        signed = False
        if self.cfg.encrypt_key and request.headers.get("X-Lark-Signature"):
            refused = self._check_signature(request, body)
            if refused is not None:
                return refused
            signed = True
        if "encrypt" in outer:
            if not self.cfg.encrypt_key:
                return refuse(NAME, 400, "收到加密事件，但未配置 [feishu] encrypt_key")
            try:
                data = parse_json_object(feishu_crypto.decrypt(self.cfg.encrypt_key, str(outer["encrypt"])))
            except feishu_crypto.FeishuCryptoError as exc:
                return refuse(NAME, 400, str(exc))
            except BadJson as exc:
                return refuse(NAME, 400, f"解密后的事件：{exc}")
        elif self.cfg.encrypt_key:
            return refuse(NAME, 401, "已配置 Encrypt Key，但请求未加密")
        else:
            data = outer
        if data.get("type") == "url_verification":
            if not self._token_ok(data.get("token")):
                return refuse(NAME, 401, "Verification Token 不符")
            return web.json_response({"challenge": data.get("challenge", "")})
        if self.cfg.encrypt_key and not signed:
            return refuse(NAME, 401, "缺少 X-Lark-Signature 等签名请求头")
        header = obj(data.get("header"))
        if not self._token_ok(header.get("token")):
            return refuse(NAME, 401, "Verification Token 不符")
        await self.on_event(data)
        return web.json_response({"msg": "success"})

    async def on_event(self, data: dict[str, Any]) -> None:
        """A verified schema-2.0 event, from the HTTP callback or the long connection: record it, answer later."""
        assert self.bot is not None
        header = obj(data.get("header"))
        if header.get("event_type") == MESSAGE_EVENT and isinstance(data.get("event"), dict):
            incoming = await self._incoming(data["event"], str(header.get("event_id") or ""))
            if incoming is not None:
                if incoming.is_group:
                    log.info("group message in chat %s", incoming.chat_id)
                await self.bot.accept(incoming)

    def _token_ok(self, token: Any) -> bool:
        if not self.cfg.verification_token:
            return True
        return isinstance(token, str) and hmac.compare_digest(token.encode(), self.cfg.verification_token.encode())

    def _check_signature(self, request: web.Request, body: bytes) -> web.Response | None:
        assert self.bot is not None
        ts = request.headers.get("X-Lark-Request-Timestamp", "")
        nonce = request.headers.get("X-Lark-Request-Nonce", "")
        sig = request.headers.get("X-Lark-Signature", "")
        if not (ts and nonce and sig):
            return refuse(NAME, 401, "缺少 X-Lark-Signature 等签名请求头")
        if not feishu_crypto.signature_matches(sig, ts, nonce, self.cfg.encrypt_key, body):
            return refuse(NAME, 401, "X-Lark-Signature 校验失败")
        if not within_window(ts, self.bot.clock.now().timestamp(), self.bot.config.bot.replay_window_seconds):
            return refuse(NAME, 403, "X-Lark-Request-Timestamp 超出允许的时间窗口")
        return None

    async def _own_open_id(self) -> str:
        """The bot's open_id, to tell an @ of the bot from an @ of someone else."""
        if not self.bot_open_id:
            try:
                token = await self.token.get()
                resp = await call_json(
                    self._session(),
                    "GET",
                    f"{self.api_base}/open-apis/bot/v3/info",
                    what="飞书机器人信息",
                    headers={"Authorization": f"Bearer {token}"},
                )
                self.bot_open_id = str(obj(resp.body.get("bot")).get("open_id") or "")
            except DeliveryError as exc:
                log.warning("feishu bot info unavailable: %s", exc)
        return self.bot_open_id

    async def _incoming(self, event: dict[str, Any], event_id: str) -> Incoming | None:
        message = obj(event.get("message"))
        sender = obj(event.get("sender"))
        ids = obj(sender.get("sender_id"))
        open_id = str(ids.get("open_id") or "")
        sender_id = str(ids.get("user_id") or open_id)
        # message_id names the person's message itself: stable across the platform's retries and re-pushes.
        message_id = str(message.get("message_id") or event_id)
        if not sender_id or not message_id or sender.get("sender_type", "user") != "user":
            return None
        text = _text_of(message)
        group = message.get("chat_type") == "group"
        mentioned = False
        mentions = [m for m in items(message.get("mentions")) if isinstance(m, dict)]
        own = await self._own_open_id() if group and mentions else ""
        others: list[str] = []
        for m in mentions:
            m_open_id = str(obj(m.get("id")).get("open_id") or "")
            is_bot = m_open_id == own if own else True
            if is_bot:
                mentioned = True
                text = text.replace(str(m.get("key") or "\0"), " ")
            else:
                others.append(m_open_id)
                text = text.replace(str(m.get("key") or "\0"), f"@{m.get('name') or ''}")
        return Incoming(
            channel=NAME,
            chat_id=str(message.get("chat_id") or sender_id),
            chat_type=ChatType.GROUP if group else ChatType.PRIVATE,
            sender_id=sender_id,
            text=" ".join(text.split()) if "\n" not in text else text.strip(),
            message_id=message_id,
            mentions=tuple(others),
            mentioned_bot=mentioned or not group,
            raw={"open_id": open_id, "message_id": str(message.get("message_id") or "")},
        )

    # --- sending ---------------------------------------------------------------------------

    async def _fetch_token(self) -> tuple[str, float]:
        resp = await call_json(
            self._session(),
            "POST",
            f"{self.api_base}/open-apis/auth/v3/tenant_access_token/internal",
            what="飞书 tenant_access_token",
            json_body={"app_id": self.cfg.app_id, "app_secret": self.cfg.app_secret},
        )
        token = resp.body.get("tenant_access_token")
        if resp.body.get("code", 0) != 0 or not token:
            raise DeliveryError(
                f"飞书 tenant_access_token 获取失败（code {resp.body.get('code')}）：请检查 app_id/app_secret",
                permanent=True,
            )
        return str(token), float(resp.body.get("expire") or 7200)

    @staticmethod
    def _contents(reply: Reply, mention_open_id: str) -> list[tuple[str, str]]:
        if reply.format is ReplyFormat.MARKDOWN:
            at = "".join(f"<at id={p}></at> " for p in _people(reply, mention_open_id))
            return [
                (
                    "interactive",
                    json.dumps(
                        {"config": {"wide_screen_mode": True}, "elements": [{"tag": "markdown", "content": at + part}]},
                        ensure_ascii=False,
                    ),
                )
                for part in split_utf8(to_feishu_card_markdown(reply.text), CARD_LIMIT)
            ]
        at = "".join(f'<at user_id="{p}"></at> ' for p in _people(reply, mention_open_id))
        return [
            ("text", json.dumps({"text": at + part}, ensure_ascii=False)) for part in split_utf8(reply.text, TEXT_LIMIT)
        ]

    async def send(self, message: Outgoing) -> None:
        origin, reply, target = message.in_reply_to, message.reply, message.target
        raw = (origin.raw or {}) if origin is not None and origin.channel == NAME else {}
        if target.chat_id == WEBHOOK_CHAT:
            await self._send_webhook(reply)
            return
        if origin is not None and raw.get("message_id") and origin.is_group and target.chat_id == origin.chat_id:
            mention = raw.get("open_id", "") if reply.mention_sender else ""
            for i, (kind, content) in enumerate(self._contents(reply, mention)):
                uuid = hashlib.sha1(f"{origin.message_id}:{i}:{content}".encode()).hexdigest()[:40]
                await self._api(
                    f"/open-apis/im/v1/messages/{raw['message_id']}/reply",
                    {"msg_type": kind, "content": content, "uuid": uuid},
                    receiver=origin.chat_id,
                )
            return
        if target.is_user:
            receive_id = target.user_id
            if origin is not None and raw.get("open_id") and target.user_id == origin.sender_id:
                receive_id = raw["open_id"]
            id_type = _receive_id_type(receive_id)
        elif target.chat_id:
            receive_id, id_type = target.chat_id, "chat_id"
        else:
            raise DeliveryError("没有指定接收人或群", permanent=True)
        for i, (kind, content) in enumerate(self._contents(reply, "")):
            payload: dict[str, Any] = {"receive_id": receive_id, "msg_type": kind, "content": content}
            if origin is not None:
                payload["uuid"] = hashlib.sha1(f"{origin.message_id}:p{i}:{content}".encode()).hexdigest()[:40]
            await self._api(f"/open-apis/im/v1/messages?receive_id_type={id_type}", payload, receiver=receive_id)
        if origin is not None and origin.is_group and raw.get("message_id") and target.is_user:
            note = Reply(SENT_PRIVATELY)
            await self.send(Outgoing(Target(NAME, chat_id=origin.chat_id), note, origin))

    async def _api(self, path: str, payload: dict[str, Any], *, receiver: str) -> None:
        if not (self.cfg.app_id and self.cfg.app_secret):
            raise DeliveryError("未配置飞书 app_id/app_secret，无法发送消息", permanent=True)
        await self.receiver_limit.acquire(receiver)
        await self.app_limit.acquire("app")
        for attempt in range(2):
            token = await self.token.get()
            resp = await call_json(
                self._session(),
                "POST",
                f"{self.api_base}{path}",
                what="飞书消息",
                json_body=payload,
                headers={"Authorization": f"Bearer {token}"},
            )
            code = resp.body.get("code", 0)
            if code in TOKEN_ERRORS and attempt == 0:
                self.token.invalidate(token)
                continue
            if code == 0 and resp.status == 200:
                return
            if code in RATE_ERRORS:
                self.receiver_limit.penalize(receiver, 1.0)
                raise DeliveryError(f"飞书消息：发送过于频繁（code {code}）", retry_after=2)
            raise DeliveryError(f"飞书消息发送失败（HTTP {resp.status}，code {code}）", permanent=True)

    def _webhook_sign(self, timestamp: str) -> str:
        key = f"{timestamp}\n{self.cfg.webhook_secret}".encode()
        return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()

    async def _send_webhook(self, reply: Reply) -> None:
        if not self.cfg.webhook_url:
            raise DeliveryError("未配置飞书自定义机器人 webhook_url", permanent=True)
        for kind, content in self._contents(reply, ""):
            body: dict[str, Any] = {"msg_type": kind}
            if kind == "interactive":
                body["card"] = json.loads(content)
            else:
                body["content"] = json.loads(content)
            if self.cfg.webhook_secret:
                ts = str(int(time.time()))
                body.update(timestamp=ts, sign=self._webhook_sign(ts))
            await self.webhook_limit.acquire("webhook", max_wait=10)
            resp = await call_json(
                self._session(), "POST", self.cfg.webhook_url, what="飞书自定义机器人", json_body=body
            )
            code = resp.body.get("code", resp.body.get("StatusCode", 0))
            if code == 0:
                continue
            if code in RATE_ERRORS:
                self.webhook_limit.penalize("webhook", 60)
                raise DeliveryError(f"飞书自定义机器人发送过于频繁（code {code}）", retry_after=60)
            raise DeliveryError(f"飞书自定义机器人发送失败（code {code}）", permanent=True)


def from_config(config: Config) -> FeishuChannel | None:
    cfg = config.feishu
    if cfg.long_connection and not (cfg.app_id and cfg.app_secret):
        raise ConfigError("[feishu] 长连接模式（long_connection）需要 app_id 和 app_secret")
    if not (cfg.app_id or cfg.app_secret or cfg.webhook_url):
        return None
    if bool(cfg.app_id) != bool(cfg.app_secret):
        raise ConfigError("[feishu] app_id 和 app_secret 需要同时配置（开发者后台“凭证与基础信息”）")
    if cfg.app_id and not cfg.long_connection and not (cfg.verification_token or cfg.encrypt_key):
        raise ConfigError(
            "[feishu] 还需要 verification_token 或 encrypt_key（开发者后台“事件与回调 → 加密策略”），否则无法校验回调"
        )
    return FeishuChannel(cfg)
