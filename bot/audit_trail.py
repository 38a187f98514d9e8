"""The audit log's one writer and its reader (filters for `orgbot audit list/export`).

Chat, the CLI, the web login and the callback checks all write through ``write`` so every
row is cut to the columns' sizes the same way; the app never edits or deletes a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit_record import audit_entry
from bot.storage.models import AuditEntry


@dataclass(frozen=True)
class AuditRecord:
    actor: str
    actor_role: str
    channel: str
    action: str
    outcome: str
    chat_id: str = ""
    query: str = ""
    subject: str | None = None
    detail: str = ""


def write(session: AsyncSession, at: datetime, record: AuditRecord) -> None:
    """Add one row to the caller's transaction (it commits with the work it describes)."""
    session.add(
        audit_entry(
            at=at,
            actor=record.actor,
            actor_role=record.actor_role,
            channel=record.channel,
            chat_id=record.chat_id,
            action=record.action,
            outcome=record.outcome,
            query=record.query,
            subject=record.subject,
            detail=record.detail,
        )
    )


HEADERS = ("时间", "操作人", "角色", "渠道", "会话", "操作", "查询内容", "干部编号", "结果", "说明")


@dataclass(frozen=True)
class AuditFilter:
    user: str | None = None
    cadre: str | None = None
    action: str | None = None
    outcome: str | None = None
    since: date | None = None
    until: date | None = None


def _day_start(d: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(d, time.min, tzinfo=tz)


def build_query(f: AuditFilter, tz: ZoneInfo) -> Select[Any]:
    """``action`` matches exactly or as a prefix (``cadre`` finds cadre.training, cadre.reserve…)."""
    stmt = select(AuditEntry)
    if f.user:
        stmt = stmt.where(AuditEntry.actor == f.user)
    if f.cadre:
        stmt = stmt.where(AuditEntry.subject == f.cadre)
    if f.action:
        stmt = stmt.where((AuditEntry.action == f.action) | AuditEntry.action.like(f.action.rstrip(".") + ".%"))
    if f.outcome:
        stmt = stmt.where(AuditEntry.outcome == f.outcome)
    if f.since:
        stmt = stmt.where(AuditEntry.at >= _day_start(f.since, tz))
    if f.until:
        stmt = stmt.where(AuditEntry.at < _day_start(f.until + timedelta(days=1), tz))
    return stmt


async def fetch(session: AsyncSession, f: AuditFilter, tz: ZoneInfo, limit: int | None = None) -> list[AuditEntry]:
    """Newest first when limited (what just happened), oldest first for a full export (a ledger)."""
    stmt = build_query(f, tz)
    if limit is not None:
        rows = list(await session.scalars(stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)))
        return rows[::-1]
    return list(await session.scalars(stmt.order_by(AuditEntry.at, AuditEntry.id)))


def as_row(e: AuditEntry, tz: ZoneInfo) -> list[str]:
    return [
        e.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
        e.actor,
        e.actor_role,
        e.channel,
        e.chat_id,
        e.action,
        e.query,
        e.subject or "",
        e.outcome,
        e.detail,
    ]
