"""WeCom callback crypto (self-built app and 智能机器人 alike).

Signature: SHA1 hex of the sorted, concatenated [token, timestamp, nonce, encrypt].
Cipher: AES-256-CBC, key = b64decode(EncodingAESKey + "="), IV = key[:16], PKCS#7
padded to a 32-byte block (a 16-byte unpadder rejects valid input). Plaintext:
random(16) | big-endian length(4) | message | receiveid — receiveid is the CorpID for
an app and "" for the AI bot, and is checked so one tenant's key cannot feed another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32


class WeComCryptoError(Exception):
    """A callback that cannot be trusted; the message is safe to log (no secrets)."""


class SignatureMismatch(WeComCryptoError):
    pass


class UndecryptablePayload(WeComCryptoError):
    pass


def sha1_signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def decode_aes_key(encoding_aes_key: str) -> bytes:
    """Check the 43-character EncodingAESKey when the config is loaded, not at the first message."""
    if len(encoding_aes_key) != 43:
        raise ValueError("EncodingAESKey 应为 43 个字符")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error as exc:
        raise ValueError("EncodingAESKey 不是有效的 Base64 字符串") from exc
    if len(key) != 32:
        raise ValueError("EncodingAESKey 解码后应为 32 字节")
    return key


@dataclass(frozen=True)
class WeComCrypto:
    token: str
    key: bytes
    receive_id: str

    @classmethod
    def create(cls, token: str, encoding_aes_key: str, receive_id: str) -> WeComCrypto:
        return cls(token=token, key=decode_aes_key(encoding_aes_key), receive_id=receive_id)

    def signature(self, timestamp: str, nonce: str, encrypt: str) -> str:
        return sha1_signature(self.token, timestamp, nonce, encrypt)

    def verify(self, signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        expected = self.signature(timestamp, nonce, encrypt)
        if not hmac.compare_digest(expected.encode(), signature.lower().encode()):
            raise SignatureMismatch("msg_signature 校验失败")

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def decrypt(self, encrypt: str) -> str:
        try:
            data = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise UndecryptablePayload("Encrypt 不是 Base64") from exc
        if not data or len(data) % 16:
            raise UndecryptablePayload("密文长度不是 AES 块长度的整数倍")
        decryptor = self._cipher().decryptor()
        plain = decryptor.update(data) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise UndecryptablePayload("填充无效（密钥不匹配？）")
        plain = plain[:-pad]
        if len(plain) < 20:
            raise UndecryptablePayload("明文过短")
        (length,) = struct.unpack(">I", plain[16:20])
        if 20 + length > len(plain):
            raise UndecryptablePayload("消息长度字段无效")
        message = plain[20 : 20 + length]
        receive_id = plain[20 + length :]
        if receive_id.decode("utf-8", "replace") != self.receive_id:
            raise UndecryptablePayload("receiveid 与配置的 CorpID 不符")
        try:
            return message.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UndecryptablePayload("消息不是 UTF-8") from exc

    def encrypt(self, text: str) -> str:
        body = text.encode("utf-8")
        plain = os.urandom(16) + struct.pack(">I", len(body)) + body + self.receive_id.encode()
        pad = BLOCK - len(plain) % BLOCK
        plain += bytes([pad]) * pad
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()
