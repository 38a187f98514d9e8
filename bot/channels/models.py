"""The channels' own table: callback signatures already used, so a captured one cannot carry a second message."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, UTCDateTime


class CallbackSignature(Base):
    """One signed callback header pair, bound to the one message it was first seen with.

    DingTalk's robot callback signs only the timestamp, so the pair proves nothing about
    the body. Binding the pair to its first message (id and body digest) leaves a
    captured pair worthless; the primary key makes the binding atomic across instances.
    """

    __tablename__ = "callback_signatures"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    signature: Mapped[str] = mapped_column(String(128), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(191))
    body_digest: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Set by the first refused replay, which alone is audited: replays cannot flood the log.
    first_refused_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
