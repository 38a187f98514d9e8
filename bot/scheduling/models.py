"""The scheduling tables: schedules are the truth, the APScheduler job only wakes the service."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base, UTCDateTime, utcnow


class Schedule(Base):
    """One reminder, notice or recurring push; ``rule`` and ``targets`` are JSON kept readable."""

    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    rule: Mapped[str] = mapped_column(Text)
    targets: Mapped[str] = mapped_column(Text)
    template: Mapped[str | None] = mapped_column(String(32), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    receipt: Mapped[bool] = mapped_column(Boolean, default=False)
    next_fire_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    next_stage: Mapped[str] = mapped_column(String(32), default="")
    last_fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(191))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The calendar/quiet-hours/zone fingerprint next_fire_at was computed with (``Policy.key``).
    plan_key: Mapped[str] = mapped_column(String(32), default="", server_default="")

    __table_args__ = (Index("ix_schedules_status_next_fire_at", "status", "next_fire_at"),)


class ScheduleChange(Base):
    """Who changed a schedule, when, and what it looked like afterwards."""

    __tablename__ = "schedule_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(191))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")


class ScheduleFire(Base):
    """Each fire time taken once: the unique key is what stops a fire from being expanded twice."""

    __tablename__ = "schedule_fires"
    __table_args__ = (UniqueConstraint("schedule_id", "fire_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    fire_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stage: Mapped[str] = mapped_column(String(32), default="")
    outcome: Mapped[str] = mapped_column(String(16))
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # ``Fire.key`` of each occurrence/rung this fire sent, space-separated (several when a shift
    # merged them; empty for 立即发送): whatever shifts later do, these are never sent again.
    occurrence_keys: Mapped[str | None] = mapped_column(String(191), nullable=True)


class OutboxRow(Base):
    """One push to one recipient; the idempotency key makes a second copy impossible."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(191), unique=True)
    schedule_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    fire_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recipient: Mapped[str] = mapped_column(String(191), default="")
    channel: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str] = mapped_column(String(191), default="")
    user_id: Mapped[str] = mapped_column(String(191), default="")
    text: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(16), default="text")
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str] = mapped_column(String(64), default="")
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The scheduler lease epoch under which it was claimed: a sent-mark under another is refused.
    claim_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),)


class Receipt(Base):
    """A recipient of a notice that asks for confirmation, and when (if ever) they confirmed."""

    __tablename__ = "receipts"

    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(191), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    confirmed_via: Mapped[str] = mapped_column(String(64), default="")


class SchedulerLease(Base):
    """Who leads the scheduler until when; ``epoch`` rises with each new holder (the fencing token)."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64), default="")
    epoch: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acquired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
