"""Cadre tables. Every column here is personal data under the cadre-file rules: read it only through lookups."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.storage.base import Base, UTCDateTime, utcnow


class Unit(Base):
    """One node of the unit tree; organizers' scopes cover a unit and everything under it."""

    __tablename__ = "units"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    parent_code: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Cadre(Base):
    __tablename__ = "cadres"

    cadre_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    unit_code: Mapped[str] = mapped_column(String(64), index=True)
    post: Mapped[str] = mapped_column(String(128), default="")
    rank: Mapped[str] = mapped_column(String(32), default="")
    gender: Mapped[str] = mapped_column(String(8), default="")
    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    id_card: Mapped[str] = mapped_column(String(18), default="")
    education: Mapped[str] = mapped_column(String(64), default="")
    party_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    work_start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    phone: Mapped[str] = mapped_column(String(32), default="")
    office_phone: Mapped[str] = mapped_column(String(32), default="")
    # The rank before the latest change seen by an import, and the day that change was seen:
    # a cadre promoted mid-year owes each rank's hours for the part of the year they held it.
    previous_rank: Mapped[str] = mapped_column(String(32), default="", server_default="")
    rank_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    training: Mapped[list[TrainingRecord]] = relationship(back_populates="cadre", cascade="all, delete-orphan")
    reserves: Mapped[list[ReserveRecord]] = relationship(back_populates="cadre", cascade="all, delete-orphan")


class TrainingRecord(Base):
    """One class or course a cadre attended; re-imports match on (cadre, course, start date)."""

    __tablename__ = "training_records"
    __table_args__ = (UniqueConstraint("cadre_id", "course", "start_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cadre_id: Mapped[str] = mapped_column(ForeignKey("cadres.cadre_id", ondelete="CASCADE"), index=True)
    course: Mapped[str] = mapped_column(String(200))
    organizer: Mapped[str] = mapped_column(String(128), default="")
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    hours: Mapped[float] = mapped_column(Float)
    mode: Mapped[str] = mapped_column(String(16), default="")
    status: Mapped[str] = mapped_column(String(16), default="")
    certificate: Mapped[str] = mapped_column(String(64), default="")

    cadre: Mapped[Cadre] = relationship(back_populates="training")


class ReserveRecord(Base):
    """A cadre's place in one reserve pool (正处级后备, 副处级后备…); re-imports match on (cadre, level)."""

    __tablename__ = "reserve_records"
    __table_args__ = (UniqueConstraint("cadre_id", "level"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cadre_id: Mapped[str] = mapped_column(ForeignKey("cadres.cadre_id", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(32))
    entered_on: Mapped[date] = mapped_column(Date)
    recommended_by: Mapped[str] = mapped_column(String(64), default="")
    inspection_status: Mapped[str] = mapped_column(String(32), default="")
    inspection_result: Mapped[str] = mapped_column(String(200), default="")
    exit_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    exit_reason: Mapped[str] = mapped_column(String(200), default="")
    # The day an import first saw the current inspection_status (None: before that was recorded).
    stage_since: Mapped[date | None] = mapped_column(Date, nullable=True)

    cadre: Mapped[Cadre] = relationship(back_populates="reserves")
    measures: Mapped[list[ReserveMeasure]] = relationship(
        back_populates="reserve", cascade="all, delete-orphan", order_by="ReserveMeasure.position"
    )


class ReserveMeasure(Base):
    """A development measure for a reserve cadre: 挂职, 轮岗, 调训… with its dates."""

    __tablename__ = "reserve_measures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reserve_id: Mapped[int] = mapped_column(ForeignKey("reserve_records.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)

    reserve: Mapped[ReserveRecord] = relationship(back_populates="measures")


class LookupGate(Base):
    """One row per person who looked someone up: taking it for write serializes that person's lookups.

    The rate limit counts audit rows; counting and then adding the row must not interleave,
    or a burst of concurrent lookups all see the same count. On PostgreSQL the upsert holds
    this row's lock until commit; on SQLite it is the write that takes the database lock.
    """

    __tablename__ = "lookup_gate"

    actor: Mapped[str] = mapped_column(String(191), primary_key=True)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RecordImport(Base):
    """One applied import of cadre sheets: a reminder from the records needs to know how fresh they are."""

    __tablename__ = "record_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    kinds: Mapped[str] = mapped_column(String(64))  # "training,reserve": the sheet kinds it carried
    rows: Mapped[int] = mapped_column(Integer)


class AlertMute(Base):
    """A person who asked not to get one kind of personal warning (``/提醒 免打扰 学时``)."""

    __tablename__ = "alert_mutes"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    muted_at: Mapped[datetime] = mapped_column(UTCDateTime)
