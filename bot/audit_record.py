"""Building audit rows that every database accepts, whatever the person typed.

PostgreSQL refuses NUL in text and no driver can encode a lone surrogate, so a row
holding the raw text would fail to insert and the action would go unrecorded. Such
characters are written as visible escapes instead: the row lands and still shows
exactly what was sent.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

from bot.storage.models import AuditEntry

QUERY_LIMIT = 2000
DETAIL_LIMIT = 4000
_KEPT_CONTROLS = "\t\n\r"


def is_unstorable(ch: str) -> bool:
    """A control character (other than tab and line breaks) or half of a surrogate pair."""
    return ch not in _KEPT_CONTROLS and unicodedata.category(ch) in ("Cc", "Cs")


def has_unstorable(text: str) -> bool:
    return any(is_unstorable(ch) for ch in text)


def storable(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with NUL, other controls and lone surrogates escaped."""
    if has_unstorable(text):
        text = "".join(_escape(ch) if is_unstorable(ch) else ch for ch in text)
    return text[:limit]


def _escape(ch: str) -> str:
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def audit_entry(
    *,
    at: datetime,
    actor: str,
    actor_role: str,
    channel: str,
    chat_id: str,
    action: str,
    outcome: str,
    query: str = "",
    subject: str | None = None,
    detail: str = "",
) -> AuditEntry:
    return AuditEntry(
        at=at,
        actor=storable(actor, 191),
        actor_role=actor_role[:16],
        channel=storable(channel, 32),
        chat_id=storable(chat_id, 191),
        action=action[:64],
        query=storable(query, QUERY_LIMIT),
        subject=storable(subject, 64) if subject is not None else None,
        outcome=outcome[:32],
        detail=storable(detail, DETAIL_LIMIT),
    )
