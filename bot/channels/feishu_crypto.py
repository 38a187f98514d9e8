"""Feishu event crypto.

Body ``{"encrypt": b64}``: the first 16 decoded bytes are the IV, the key is
SHA256(Encrypt Key), AES-256-CBC with ordinary 16-byte PKCS#7. The request signature
is a plain (not HMAC) SHA-256 hex over timestamp + nonce + Encrypt Key + the raw body
bytes — never over re-serialised JSON.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


class FeishuCryptoError(Exception):
    """A callback that cannot be trusted; the message is safe to log."""


def _key(encrypt_key: str) -> bytes:
    return hashlib.sha256(encrypt_key.encode()).digest()


def decrypt(encrypt_key: str, encrypted: str) -> str:
    try:
        data = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise FeishuCryptoError("encrypt 不是 Base64") from exc
    if len(data) < 32 or len(data) % 16:
        raise FeishuCryptoError("密文长度无效")
    decryptor = Cipher(algorithms.AES(_key(encrypt_key)), modes.CBC(data[:16])).decryptor()
    padded = decryptor.update(data[16:]) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        plain = unpadder.update(padded) + unpadder.finalize()
        return plain.decode("utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        raise FeishuCryptoError("解密失败（Encrypt Key 不匹配？）") from exc


def encrypt(encrypt_key: str, text: str) -> str:
    """The platform's side, for tools and tests that need a genuine encrypted body."""
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(text.encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(_key(encrypt_key)), modes.CBC(iv)).encryptor()
    return base64.b64encode(iv + encryptor.update(padded) + encryptor.finalize()).decode()


def signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode() + body).hexdigest()


def signature_matches(given: str, timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> bool:
    return hmac.compare_digest(signature(timestamp, nonce, encrypt_key, body).encode(), given.lower().encode())
