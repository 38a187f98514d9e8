"""Genuine DingTalk robot messages, normalised through the dingtalk-stream SDK's ChatbotMessage."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from dingtalk_stream import ChatbotMessage

APP_KEY = "ding-key"
APP_SECRET = "ding-secret"
WEBHOOK_SECRET = "SECwebhook"


def dingtalk_env(api_base: str, **extra: str) -> dict[str, str]:
    env = {
        "ORGBOT_DINGTALK_APP_KEY": APP_KEY,
        "ORGBOT_DINGTALK_APP_SECRET": APP_SECRET,
        "ORGBOT_DINGTALK_ROBOT_CODE": "dingrobot",
        "ORGBOT_DINGTALK_WEBHOOK_URL": f"{api_base}/robot/send?access_token=abc",
        "ORGBOT_DINGTALK_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "ORGBOT_DINGTALK_API_BASE": api_base,
        "ORGBOT_DINGTALK_OAPI_BASE": api_base,
    }
    env.update(extra)
    return env


def robot_message(
    api_base: str,
    text: str,
    msg_id: str,
    staff_id: str = "zhangsan",
    *,
    group: bool = True,
    webhook_valid_ms: int = 5_400_000,
    at_bot: bool = True,
    session_webhook: str | None = None,
) -> dict[str, Any]:
    now_ms = int(time.time() * 1000)
    data = {
        "conversationId": "cidGroup1==" if group else "cidPrivate1==",
        "atUsers": [{"dingtalkId": "$:LWCP_v1:$bot"}],
        "chatbotCorpId": "dingcorp",
        "chatbotUserId": "$:LWCP_v1:$bot",
        "msgId": msg_id,
        "senderNick": "张三",
        "isAdmin": False,
        "senderStaffId": staff_id,
        "sessionWebhookExpiredTime": now_ms + webhook_valid_ms,
        "createAt": now_ms,
        "senderCorpId": "dingcorp",
        "conversationType": "2" if group else "1",
        "senderId": "$:LWCP_v1:$sender",
        "conversationTitle": "组工干部群",
        "isInAtList": at_bot,
        # The shape DingTalk really sends: its oapi host, an opaque session token.
        "sessionWebhook": session_webhook or f"{api_base}/robot/sendBySession?session=s1",
        "text": {"content": f" {text}"},
        "robotCode": "dingrobot",
        "msgtype": "text",
    }
    return ChatbotMessage.from_dict(data).to_dict()


def signed_headers(secret: str = APP_SECRET, timestamp_ms: int | None = None) -> dict[str, str]:
    ts = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    return {"timestamp": ts, "sign": base64.b64encode(digest).decode(), "Content-Type": "application/json"}


def body(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()
