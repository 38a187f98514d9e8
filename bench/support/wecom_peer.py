"""Genuine WeCom callbacks built with wechatpy (the independent reference implementation)."""

from __future__ import annotations

import base64
import json
from typing import Any

import xmltodict
from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto
from wechatpy.utils import WeChatSigner

# Valid 43-character EncodingAESKeys (any base64 of 32 bytes without the trailing '=').
APP_AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
BOT_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

CORP_ID = "wwcorp"
AGENT_ID = "1000002"
APP_TOKEN = "app-token"
BOT_TOKEN = "bot-token"


def wecom_env(api_base: str, **extra: str) -> dict[str, str]:
    env = {
        "ORGBOT_WECOM_CORP_ID": CORP_ID,
        "ORGBOT_WECOM_AGENT_ID": AGENT_ID,
        "ORGBOT_WECOM_SECRET": "wecom-secret",
        "ORGBOT_WECOM_TOKEN": APP_TOKEN,
        "ORGBOT_WECOM_ENCODING_AES_KEY": APP_AES_KEY,
        "ORGBOT_WECOM_BOT_TOKEN": BOT_TOKEN,
        "ORGBOT_WECOM_BOT_ENCODING_AES_KEY": BOT_AES_KEY,
        "ORGBOT_WECOM_WEBHOOK_KEY": "robot-key",
        "ORGBOT_WECOM_API_BASE": api_base,
    }
    env.update(extra)
    return env


def app_text_message(text: str, msg_id: str, user: str, timestamp: int, nonce: str = "nonce1") -> tuple[dict, bytes]:
    """(query params, body) of an encrypted text message to the self-built app, as WeCom posts it."""
    plain = (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
        f"<CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId><AgentID>{AGENT_ID}</AgentID></xml>"
    )
    reply = xmltodict.parse(WeChatCrypto(APP_TOKEN, APP_AES_KEY, CORP_ID).encrypt_message(plain, nonce, timestamp))[
        "xml"
    ]
    body = (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA[{reply['Encrypt']}]]></Encrypt>"
        f"<AgentID><![CDATA[{AGENT_ID}]]></AgentID></xml>"
    )
    return {"msg_signature": reply["MsgSignature"], "timestamp": str(timestamp), "nonce": nonce}, body.encode()


def sign(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce, encrypt)
    return signer.signature


def encrypt_for(aes_key: str, text: str, receive_id: str) -> str:
    return PrpCrypto(base64.b64decode(aes_key + "=")).encrypt(text, receive_id).decode()


def aibot_request(payload: dict[str, Any], timestamp: int, nonce: str = "nonce2") -> tuple[dict, bytes]:
    encrypt = encrypt_for(BOT_AES_KEY, json.dumps(payload, ensure_ascii=False), "")
    params = {
        "msg_signature": sign(BOT_TOKEN, str(timestamp), nonce, encrypt),
        "timestamp": str(timestamp),
        "nonce": nonce,
    }
    return params, json.dumps({"encrypt": encrypt}).encode()


def aibot_text(text: str, msg_id: str, user: str, chat_id: str = "") -> dict[str, Any]:
    data: dict[str, Any] = {
        "msgid": msg_id,
        "aibotid": "aib1",
        "chattype": "group" if chat_id else "single",
        "from": {"userid": user},
        "msgtype": "text",
        "text": {"content": text},
    }
    if chat_id:
        data["chatid"] = chat_id
    return data


def open_aibot_reply(envelope: dict[str, Any]) -> dict[str, Any]:
    """Check our encrypted reply with wechatpy (signature and receiveid "") and return its JSON."""
    crypto = WeChatCrypto(BOT_TOKEN, BOT_AES_KEY, "")
    plain = crypto.decrypt_message(
        {"Encrypt": envelope["encrypt"]}, envelope["msgsignature"], envelope["timestamp"], envelope["nonce"]
    )
    return json.loads(plain)
