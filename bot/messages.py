"""The platform-neutral message model every channel converts to and from.

Handlers see only these types, so a feature works the same on the terminal, the
HTTP API, WeCom, DingTalk and Feishu.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


class ChatType(StrEnum):
    PRIVATE = "private"
    GROUP = "group"


class ReplyFormat(StrEnum):
    TEXT = "text"
    MARKDOWN = "markdown"


@dataclass(frozen=True)
class Incoming:
    """One message from a person, with @-mentions of the bot already removed from ``text``."""

    channel: str
    chat_id: str
    chat_type: ChatType
    sender_id: str
    text: str
    message_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    mentions: tuple[str, ...] = ()
    mentioned_bot: bool = False
    sender_name: str = ""
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    raw: dict | None = field(default=None, compare=False, repr=False)

    @property
    def is_group(self) -> bool:
        return self.chat_type is ChatType.GROUP


@dataclass(frozen=True)
class Reply:
    """What a handler answers.

    ``private`` asks the channel to deliver to the sender alone (personal data never
    goes to a group); ``mention_sender`` asks it to @-mention the asker in a group.
    """

    text: str
    format: ReplyFormat = ReplyFormat.TEXT
    private: bool = False
    mention_sender: bool = True
    mentions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Target:
    """Where an outgoing message goes: a chat, or one person, on one channel."""

    channel: str
    chat_id: str = ""
    user_id: str = ""

    @property
    def is_user(self) -> bool:
        return bool(self.user_id) and not self.chat_id

    def key(self) -> str:
        return f"{self.channel}:{'u' if self.is_user else 'c'}:{self.user_id or self.chat_id}"


@dataclass(frozen=True)
class Outgoing:
    """A message the bot sends on its own (a push) or as the delivery of a reply."""

    target: Target
    reply: Reply
    in_reply_to: Incoming | None = None
