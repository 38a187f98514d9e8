"""Genuine Feishu event requests: encrypted and signed as the platform does, accepted by lark-oapi before use.

The SDK has no encrypt/sign helper, so encryption here uses pycryptodome directly
(independent of bot.channels.feishu_crypto) and every request is first run through
lark-oapi's EventDispatcherHandler to prove it is what the platform would send.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import uuid
from typing import Any

import lark_oapi as lark
from Crypto.Cipher import AES
from Crypto.Util.Padding import pad
from lark_oapi.core.model import RawRequest

APP_ID = "cli_app"
ENCRYPT_KEY = "feishu-encrypt-key"
VERIFICATION_TOKEN = "feishu-verify-token"
BOT_OPEN_ID = "ou_bot"


def feishu_env(api_base: str, **extra: str) -> dict[str, str]:
    env = {
        "ORGBOT_FEISHU_APP_ID": APP_ID,
        "ORGBOT_FEISHU_APP_SECRET": "feishu-secret",
        "ORGBOT_FEISHU_VERIFICATION_TOKEN": VERIFICATION_TOKEN,
        "ORGBOT_FEISHU_ENCRYPT_KEY": ENCRYPT_KEY,
        "ORGBOT_FEISHU_WEBHOOK_URL": f"{api_base}/open-apis/bot/v2/hook/hook1",
        "ORGBOT_FEISHU_API_BASE": api_base,
    }
    env.update(extra)
    return env


def encrypt(key: str, text: str) -> str:
    iv = os.urandom(16)
    cipher = AES.new(hashlib.sha256(key.encode()).digest(), AES.MODE_CBC, iv)
    return base64.b64encode(iv + cipher.encrypt(pad(text.encode(), AES.block_size))).decode()


def text_event(
    text: str,
    message_id: str,
    *,
    chat_type: str = "group",
    sender_open_id: str = "ou_zhangsan",
    sender_user_id: str = "zhangsan",
    mentions: list[dict[str, Any]] | None = None,
    event_id: str | None = None,
    chat_id: str | None = None,
) -> dict[str, Any]:
    """A message event; ``chat_id`` defaults to one fixed group or one fixed 1:1 chat.

    A 1:1 chat on Feishu belongs to one pair (bot, person): callers simulating many people
    give each their own ``chat_id`` and ``sender_open_id``, or every reply lands in one chat.
    """
    if chat_id is None:
        chat_id = "oc_group1" if chat_type == "group" else "oc_p2p1"
    return {
        "schema": "2.0",
        "header": {
            "event_id": event_id or uuid.uuid4().hex,
            "event_type": "im.message.receive_v1",
            "create_time": str(int(time.time() * 1000)),
            "token": VERIFICATION_TOKEN,
            "app_id": APP_ID,
            "tenant_key": "tenant1",
        },
        "event": {
            "sender": {
                "sender_id": {"open_id": sender_open_id, "user_id": sender_user_id, "union_id": "on_x"},
                "sender_type": "user",
                "tenant_key": "tenant1",
            },
            "message": {
                "message_id": message_id,
                "create_time": str(int(time.time() * 1000)),
                "chat_id": chat_id,
                "chat_type": chat_type,
                "message_type": "text",
                "content": json.dumps({"text": text}, ensure_ascii=False),
                "mentions": mentions or [],
            },
        },
    }


def p2p_event(text: str, message_id: str, person: str) -> dict[str, Any]:
    """A message from ``person`` in their own 1:1 chat with the bot (as many people would write)."""
    return text_event(
        text,
        message_id,
        chat_type="p2p",
        chat_id=f"oc_p2p_{person}",
        sender_open_id=f"ou_{person}",
        sender_user_id=person,
    )


def mention(key: str, open_id: str, name: str) -> dict[str, Any]:
    return {"key": key, "id": {"open_id": open_id, "user_id": "", "union_id": ""}, "name": name, "tenant_key": "t"}


def signed_request(
    payload: dict[str, Any], *, key: str = ENCRYPT_KEY, timestamp: int | None = None
) -> tuple[dict, bytes]:
    body = json.dumps({"encrypt": encrypt(key, json.dumps(payload, ensure_ascii=False))}).encode()
    ts, nonce = str(timestamp if timestamp is not None else int(time.time())), uuid.uuid4().hex[:10]
    signature = hashlib.sha256((ts + nonce + key).encode() + body).hexdigest()
    headers = {
        "X-Lark-Request-Timestamp": ts,
        "X-Lark-Request-Nonce": nonce,
        "X-Lark-Signature": signature,
        "Content-Type": "application/json",
    }
    return headers, body


def sdk_accepts(headers: dict[str, str], body: bytes) -> bool:
    """Would the official SDK accept this request? (It must, for the fixture to count as genuine.)"""
    seen: list[Any] = []
    handler = (
        lark.EventDispatcherHandler.builder(ENCRYPT_KEY, VERIFICATION_TOKEN)
        .register_p2_im_message_receive_v1(seen.append)
        .build()
    )
    req = RawRequest()
    req.uri = "/callback/feishu"
    req.body = body
    req.headers = dict(headers)
    resp = handler.do(req)
    return resp.status_code == 200
