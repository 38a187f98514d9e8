"""钉钉 enterprise-internal app robot: HTTP callback (or Stream mode), replies and pushes.

Receiving: the robot's HTTP callback carries ``timestamp`` (ms) and ``sign`` headers
(HMAC-SHA256 keyed with the AppSecret). The sign covers only the timestamp, never the
body, so each pair is accepted once, with one message (bot/channels/signature_ledger.py),
within a short window. Stream mode (``stream = true``, recommended) takes the same
messages over an authenticated outbound WebSocket instead (bot/channels/dingtalk_stream.py).
Replying: the message's ``sessionWebhook`` while it is valid and only when it is
DingTalk's own ``{oapi_base}/robot/sendBySession`` (the URL comes from the body), else
the robot OpenAPI (``groupMessages/send``, ``oToMessages/batchSend``). Personal data
(``Reply.private``) goes only by OpenAPI 1:1 message to the sender's staff id.
Scheduled group notices can also go through a signed custom-robot webhook (target chat
``webhook``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from yarl import URL

from bot.cadres.ids import find_id_in_text
from bot.channels import signature_ledger
from bot.channels.base import DeliveryError
from bot.channels.callback import items, obj, refuse, refuse_unusable, within_window
from bot.channels.dingtalk_sign import signature_matches, signed_webhook_url
from bot.channels.json_body import BadJson, parse_json_object
from bot.channels.outbound import ApiResponse, call_json
from bot.channels.platform import PlatformChannel
from bot.channels.private_note import SENT_PRIVATELY
from bot.channels.recipient_limits import RecipientLimit
from bot.channels.render import split_utf8, title_of, to_dingtalk_markdown
from bot.channels.tokens import AccessToken
from bot.config import Config, ConfigError, DingtalkConfig
from bot.messages import ChatType, Incoming, Outgoing, Reply, ReplyFormat, Target

log = logging.getLogger(__name__)

NAME = "dingtalk"
WEBHOOK_CHAT = "webhook"
WEBHOOK_LIMIT = 6000  # bytes per text/markdown message; the platform's figure is undocumented
OPENAPI_LIMIT = 12000  # msgParam must stay under 15 000 bytes including the JSON around the text
WEBHOOK_RATE_ERRORS = {130101, 90030, 410100}
WEBHOOK_PENALTY = 600.0  # exceeding 20/min throttles the robot for 10 minutes
SESSION_WEBHOOK_MARGIN_MS = 10_000
SESSION_WEBHOOK_PATH = "/robot/sendBySession"
NO_PRIVATE_ROUTE = (
    "这条回答涉及个人信息，只能通过钉钉单聊消息发给您，但机器人尚未配置单聊发送（app_key）。请联系管理员。"
)


def incoming_from_robot_message(data: dict[str, Any], bot_name: str) -> Incoming | None:
    """The robot message as both the HTTP callback and Stream mode deliver it."""
    msg_id = str(data.get("msgId") or "")
    sender = str(data.get("senderStaffId") or data.get("senderId") or "")
    chat = str(data.get("conversationId") or "")
    if not msg_id or not sender:
        return None
    kind = data.get("msgtype")
    if kind == "text":
        text = str(obj(data.get("text")).get("content") or "")
    elif kind == "richText":
        parts = items(obj(data.get("content")).get("richText"))
        text = "".join(str(obj(i).get("text") or "") for i in parts)
    elif kind == "audio":
        text = str(obj(data.get("content")).get("recognition") or "")
    else:
        text = ""
    group = str(data.get("conversationType")) == "2"
    if group:
        text = text.replace(f"@{bot_name}", " ")
    try:
        expires = int(data.get("sessionWebhookExpiredTime") or 0)
    except (TypeError, ValueError):
        expires = 0
    return Incoming(
        channel=NAME,
        chat_id=chat or sender,
        chat_type=ChatType.GROUP if group else ChatType.PRIVATE,
        sender_id=sender,
        text=text.strip(),
        message_id=msg_id,
        # The robot receives group messages only when @-mentioned; isInAtList says so explicitly.
        mentioned_bot=bool(data.get("isInAtList", True)) if group else True,
        sender_name=str(data.get("senderNick") or ""),
        raw={"session_webhook": str(data.get("sessionWebhook") or ""), "session_webhook_expires_ms": expires},
    )


class DingTalkChannel(PlatformChannel):
    name = NAME
    label = "钉钉"
    # Outbox pace; the robot webhook limit (20/min) is enforced in send().
    push_per_second = 10.0

    def __init__(self, cfg: DingtalkConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.api_base = cfg.api_base.rstrip("/")
        self.oapi_origin = URL(cfg.oapi_base).origin()
        # An enterprise-internal app's robotCode is its AppKey unless the console says otherwise.
        self.robot_code = cfg.robot_code or cfg.app_key
        self.token = AccessToken(self._fetch_token, refresh_margin=300)
        self.webhook_limit = RecipientLimit(20, 60)
        self.stream_client: Any = None

    def routes(self) -> list[web.RouteDef]:
        if self.cfg.app_secret and not self.cfg.stream:
            return [web.post("/callback/dingtalk", self.callback)]
        return []

    def _receiver(self) -> Coroutine[Any, Any, None] | None:
        if not self.cfg.stream:
            return None
        from bot.channels.dingtalk_stream import StreamClient

        self.stream_client = StreamClient(
            self.api_base, self.cfg.app_key, self.cfg.app_secret, self.on_robot_message, self._session()
        )
        return self.stream_client.run()

    # --- receiving -------------------------------------------------------------------------

    async def on_robot_message(self, data: dict[str, Any]) -> bool:
        """Record a robot message to be answered; False when it is not one (no msgId or sender)."""
        assert self.bot is not None
        incoming = incoming_from_robot_message(data, self.bot.config.bot.name)
        if incoming is None:
            return False
        await self._accept(incoming, data)
        return True

    async def _accept(self, incoming: Incoming, data: dict[str, Any]) -> None:
        assert self.bot is not None
        if incoming.is_group:
            # Admins need this id to target the group with scheduled pushes.
            log.info("group message in conversation %s (%s)", incoming.chat_id, data.get("conversationTitle", ""))
        await self.bot.accept(incoming)

    async def callback(self, request: web.Request) -> web.Response:
        assert self.bot is not None
        timestamp = request.headers.get("timestamp", "")
        sign = request.headers.get("sign", "")
        if not timestamp or not sign:
            return refuse(NAME, 401, "缺少 timestamp/sign 请求头")
        if not signature_matches(sign, timestamp, self.cfg.app_secret):
            return refuse(NAME, 401, "sign 校验失败")
        now = self.bot.clock.now()
        if not within_window(timestamp, now.timestamp(), self.cfg.replay_window_seconds, milliseconds=True):
            return refuse(NAME, 403, f"timestamp 超出允许的时间窗口（{self._skew(timestamp, now)}）")
        try:
            data = parse_json_object(await request.read())
        except BadJson as exc:
            return refuse(NAME, exc.status, str(exc))
        incoming = incoming_from_robot_message(data, self.bot.config.bot.name)
        refused = refuse_unusable(NAME, incoming)
        if refused is not None:
            return refused
        if incoming is None:
            return refuse(NAME, 400, "不是机器人消息（缺少 msgId 或发送人）")
        delivery = signature_ledger.SignedDelivery(
            channel=NAME,
            signature=sign,
            signed_at=datetime.fromtimestamp(int(timestamp) / 1000, UTC),
            message_id=incoming.message_id,
            body_digest=signature_ledger.body_digest(data),
        )
        if not await signature_ledger.claim(self.bot.db, delivery, now):
            await signature_ledger.record_replay(self.bot.db, delivery, self._claimed(incoming), now)
            return refuse(NAME, 401, "timestamp/sign 已用于另一条消息（疑似重放伪造）")
        await self._accept(incoming, data)
        return web.json_response({})

    @staticmethod
    def _claimed(incoming: Incoming) -> signature_ledger.ClaimedContent:
        webhook = str((incoming.raw or {}).get("session_webhook", ""))
        try:
            host = (URL(webhook).host or "") if webhook else ""
        except (ValueError, TypeError):
            host = "（无法解析）"
        return signature_ledger.ClaimedContent(
            sender=incoming.sender_id,
            chat_id=incoming.chat_id,
            text=incoming.text,
            subject=find_id_in_text(incoming.text),
            note=f"msgId {incoming.message_id[:64]}，sessionWebhook 主机 {host[:128] or '无'}",
        )

    @staticmethod
    def _skew(timestamp: str, now: datetime) -> str:
        """How far off the sender's clock is, so an operator can tell clock drift from a replay."""
        seconds = now.timestamp() - int(timestamp) / 1000
        return f"比本机{'早' if seconds > 0 else '晚'} {abs(seconds):.0f} 秒"

    # --- sending ---------------------------------------------------------------------------

    def _session_webhook(self, origin: Incoming | None) -> str:
        """The message's sessionWebhook, when it is still valid and is DingTalk's own.

        The URL comes from the callback body, which the HTTP callback's sign does not
        cover: anything but ``{oapi_base}/robot/sendBySession`` is refused, checked with
        the parser aiohttp will connect with, so the answer cannot be sent elsewhere.
        """
        if origin is None or origin.channel != NAME or self.bot is None:
            return ""
        raw = origin.raw or {}
        url = raw.get("session_webhook", "")
        now_ms = self.bot.clock.now().timestamp() * 1000
        if not url or raw.get("session_webhook_expires_ms", 0) <= now_ms + SESSION_WEBHOOK_MARGIN_MS:
            return ""
        if not self._is_dingtalk_session_url(url):
            log.warning("sessionWebhook outside %s ignored (forged message?)", self.oapi_origin)
            return ""
        return url

    def _is_dingtalk_session_url(self, url: str) -> bool:
        try:
            parsed = URL(url)
        except (ValueError, TypeError):
            return False
        return (
            parsed.is_absolute()
            and parsed.origin() == self.oapi_origin
            and parsed.user is None
            and parsed.password is None
            and parsed.path == SESSION_WEBHOOK_PATH
            and not parsed.fragment
        )

    async def send(self, message: Outgoing) -> None:
        origin, reply, target = message.in_reply_to, message.reply, message.target
        if reply.private:
            await self._send_private(origin, target, reply)
            return
        session_webhook = self._session_webhook(origin)
        if origin is not None and session_webhook:
            mention = origin.sender_id if origin.is_group and reply.mention_sender else ""
            await self._post_webhook(session_webhook, reply, mention, limit_key=f"session:{origin.chat_id}")
        elif target.is_user:
            await self._send_openapi_user(target.user_id, reply)
        elif target.chat_id == WEBHOOK_CHAT:
            if not self.cfg.webhook_url:
                raise DeliveryError("未配置钉钉自定义机器人 webhook_url", permanent=True)
            await self._post_webhook(self.cfg.webhook_url, reply, "", limit_key="webhook", sign=True)
        elif target.chat_id:
            await self._send_openapi_group(target.chat_id, reply)
        else:
            raise DeliveryError("没有指定接收人或群", permanent=True)

    async def _send_private(self, origin: Incoming | None, target: Target, reply: Reply) -> None:
        """Personal data: only by OpenAPI 1:1 message to a staff id, never to a URL from a message body."""
        person = target.user_id or (origin.sender_id if origin is not None else "")
        if not person:
            raise DeliveryError("私密回复没有接收人", permanent=True)
        if not self.can_send_openapi:
            if origin is None:
                raise DeliveryError("未配置钉钉 app_key/app_secret，私密消息只能走单聊 OpenAPI", permanent=True)
            log.warning("private answer not sent: [dingtalk] app_key not configured, no OpenAPI 1:1 message")
            await self._tell_where_asked(origin, Reply(NO_PRIVATE_ROUTE))
            return
        await self._send_openapi_user(person, reply)
        if origin is not None and origin.is_group:
            await self._tell_where_asked(origin, Reply(SENT_PRIVATELY))

    async def _tell_where_asked(self, origin: Incoming, note: Reply) -> None:
        """A short public note in the chat the question came from; never carries personal data."""
        session_webhook = self._session_webhook(origin)
        mention = origin.sender_id if origin.is_group else ""
        if session_webhook:
            await self._post_webhook(session_webhook, note, mention, limit_key=f"session:{origin.chat_id}")
        elif origin.is_group and self.can_send_openapi:
            await self._send_openapi_group(origin.chat_id, note)
        elif not origin.is_group and self.can_send_openapi:
            await self._send_openapi_user(origin.sender_id, note)

    @property
    def can_send_openapi(self) -> bool:
        return bool(self.cfg.app_key and self.cfg.app_secret and self.robot_code)

    @staticmethod
    def _webhook_bodies(reply: Reply, mention: str) -> list[dict[str, Any]]:
        people = list(dict.fromkeys([mention, *reply.mentions] if mention else reply.mentions))
        at = {"atUserIds": people} if people else {}
        # DingTalk renders an @ only when the text also names the person.
        prefix = "".join(f"@{p} " for p in people)
        bodies: list[dict[str, Any]] = []
        if reply.format is ReplyFormat.MARKDOWN:
            text = to_dingtalk_markdown(reply.text)
            title = title_of(text)
            for part in split_utf8(text, WEBHOOK_LIMIT):
                bodies.append({"msgtype": "markdown", "markdown": {"title": title, "text": prefix + part}, "at": at})
        else:
            for part in split_utf8(reply.text, WEBHOOK_LIMIT):
                bodies.append({"msgtype": "text", "text": {"content": prefix + part}, "at": at})
        return bodies

    async def _post_webhook(self, url: str, reply: Reply, mention: str, *, limit_key: str, sign: bool = False) -> None:
        for body in self._webhook_bodies(reply, mention):
            await self.webhook_limit.acquire(limit_key, max_wait=10)
            target = signed_webhook_url(url, self.cfg.webhook_secret) if sign else url
            resp = await call_json(self._session(), "POST", target, what="钉钉机器人 webhook", json_body=body)
            code = resp.body.get("errcode", 0)
            if code == 0:
                continue
            if code in WEBHOOK_RATE_ERRORS:
                self.webhook_limit.penalize(limit_key, WEBHOOK_PENALTY)
                raise DeliveryError(f"钉钉机器人发送过于频繁（errcode {code}）", retry_after=WEBHOOK_PENALTY)
            if code == -1:
                raise DeliveryError("钉钉系统繁忙", retry_after=2)
            if code == 310000:
                raise DeliveryError("钉钉机器人安全设置不通过（加签/关键词/IP）", permanent=True)
            raise DeliveryError(f"钉钉机器人 webhook 失败（errcode {code}）", permanent=True)

    async def _fetch_token(self) -> tuple[str, float]:
        resp = await call_json(
            self._session(),
            "POST",
            f"{self.api_base}/v1.0/oauth2/accessToken",
            what="钉钉 accessToken",
            json_body={"appKey": self.cfg.app_key, "appSecret": self.cfg.app_secret},
        )
        token = resp.body.get("accessToken")
        if resp.status != 200 or not token:
            raise DeliveryError(
                f"钉钉 accessToken 获取失败（HTTP {resp.status} {resp.body.get('code', '')}）：请检查 app_key/app_secret",
                permanent=True,
            )
        return str(token), float(resp.body.get("expireIn") or 7200)

    async def _openapi(self, path: str, payload: dict[str, Any], what: str) -> ApiResponse:
        if not self.can_send_openapi:
            raise DeliveryError("未配置钉钉 app_key/app_secret/robot_code，无法主动发消息", permanent=True)
        for attempt in range(2):
            token = await self.token.get()
            resp = await call_json(
                self._session(),
                "POST",
                f"{self.api_base}{path}",
                what=what,
                json_body={"robotCode": self.robot_code, **payload},
                headers={"x-acs-dingtalk-access-token": token},
            )
            code = str(resp.body.get("code") or "")
            if (resp.status == 401 or "InvalidAuthentication" in code) and attempt == 0:
                self.token.invalidate(token)
                continue
            if resp.status == 200:
                return resp
            if "QpsLimit" in code or "Throttl" in code:
                raise DeliveryError(f"{what}：调用频率超限（{code}）", retry_after=5)
            raise DeliveryError(f"{what} 失败（HTTP {resp.status} {code}）", permanent=True)
        raise DeliveryError(f"{what}：accessToken 反复失效", retry_after=5)

    @staticmethod
    def _msg_params(reply: Reply) -> list[tuple[str, str]]:
        if reply.format is ReplyFormat.MARKDOWN:
            text = to_dingtalk_markdown(reply.text)
            title = title_of(text)
            return [
                ("sampleMarkdown", json.dumps({"title": title, "text": part}, ensure_ascii=False))
                for part in split_utf8(text, OPENAPI_LIMIT)
            ]
        return [
            ("sampleText", json.dumps({"content": part}, ensure_ascii=False))
            for part in split_utf8(reply.text, OPENAPI_LIMIT)
        ]

    async def _send_openapi_user(self, user_id: str, reply: Reply) -> None:
        for key, param in self._msg_params(reply):
            resp = await self._openapi(
                "/v1.0/robot/oToMessages/batchSend",
                {"userIds": [user_id], "msgKey": key, "msgParam": param},
                "钉钉单聊消息",
            )
            if resp.body.get("invalidStaffIdList"):
                raise DeliveryError(f"钉钉单聊消息：接收人无效（{user_id}）", permanent=True)
            if resp.body.get("flowControlledStaffIdList"):
                raise DeliveryError("钉钉单聊消息：接收人被限流", retry_after=60)

    async def _send_openapi_group(self, conversation_id: str, reply: Reply) -> None:
        for key, param in self._msg_params(reply):
            await self._openapi(
                "/v1.0/robot/groupMessages/send",
                {"openConversationId": conversation_id, "msgKey": key, "msgParam": param},
                "钉钉群消息",
            )


def from_config(config: Config) -> DingTalkChannel | None:
    cfg = config.dingtalk
    if not (cfg.app_key or cfg.app_secret or cfg.webhook_url):
        return None
    if (cfg.app_key or cfg.stream) and not cfg.app_secret:
        raise ConfigError("[dingtalk] 还需要 app_secret（应用凭证中的 AppSecret）")
    if cfg.stream and not cfg.app_key:
        raise ConfigError("[dingtalk] Stream 模式需要 app_key（即 ClientID）")
    if cfg.webhook_secret and not cfg.webhook_url:
        raise ConfigError("[dingtalk] 设置了 webhook_secret，还需要 webhook_url")
    return DingTalkChannel(cfg)
