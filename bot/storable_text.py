"""Which strings from outside may reach the database, checked once for every channel.

PostgreSQL refuses a NUL character in text, and neither SQLite nor PostgreSQL can
encode a lone surrogate (JSON's ``"\\ud800"`` parses into one). Either used to end in
a 500 or a crashed answer task deep inside a request; refusing them at the door gives
the sender a clear reason instead. Identifiers (user, chat, message ids) are also
kept short and free of control characters, because they become keys in several
tables and appear in log lines, where a newline could forge an entry.
"""

from __future__ import annotations

import re

from bot.messages import Incoming

MAX_ID = 128
MAX_MESSAGE_ID = 191

# Set in ``Incoming.raw`` when a message had to be recorded with its text escaped.
UNUSABLE_KEY = "unusable"

_NUL = "\x00"
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, in Chinese; None when it can."""
    if _NUL in value:
        return "含有 NUL 字符（\\u0000）"
    if _SURROGATE.search(value):
        return "含有无效的 Unicode 字符（孤立的代理项）"
    return None


def id_problem(value: str, *, max_length: int = MAX_ID) -> str | None:
    """Why ``value`` cannot serve as an identifier; None when it can."""
    if len(value) > max_length:
        return f"过长（最多 {max_length} 个字符）"
    if _CONTROL.search(value):
        return "含有控制字符"
    return text_problem(value)


def incoming_problem(message: Incoming) -> str | None:
    """Why a message cannot be handled as it is (field named in the reason); None when it can."""
    ids = (
        ("user_id", message.sender_id, MAX_ID),
        ("chat_id", message.chat_id, MAX_ID),
        ("message_id", message.message_id, MAX_MESSAGE_ID),
        ("channel", message.channel, 32),
    )
    for field, value, limit in ids:
        why = id_problem(value, max_length=limit)
        if why is not None:
            return f"{field} {why}"
    for field, value in (("text", message.text), ("sender_name", message.sender_name)):
        why = text_problem(value)
        if why is not None:
            return f"{field} {why}"
    return None


def ids_unstorable(message: Incoming) -> bool:
    """True when an identifier holds what no database can store (NUL, a lone surrogate): such a
    message cannot even be recorded. An over-long id can be, and is then answered with the reason."""
    return any(
        text_problem(value) is not None
        for value in (message.sender_id, message.chat_id, message.message_id, message.channel)
    )
