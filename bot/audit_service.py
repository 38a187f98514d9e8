"""Reading the audit log as one service: filtered, paged rows and exports, for admins only.

``orgbot audit`` and the admin console call it. Filters arrive as typed text (dates as
people write them, a cadre ID in any case) and are checked here once; an export is itself
audited, since it takes personal data out of the system.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.actor import DENIED, Actor, NotPermitted, audit_alone
from bot.audit_trail import HEADERS, AuditFilter, as_row, build_query, fetch
from bot.cadres.dates import DateError, parse_date
from bot.cadres.ids import normalize_cadre_id
from bot.cadres.sheets import write_table
from bot.roles import Role
from bot.storage.models import AuditEntry

if TYPE_CHECKING:
    from bot.app import OrgBot

AUDIT_ROLE = Role.ADMIN
EXPORT_ACTION = "audit.export"
EXPORT_SUFFIXES = (".csv", ".xlsx")


class AuditQueryError(ValueError):
    """A filter that cannot be read, phrased for the person who typed it."""


def audit_filter(
    *,
    user: str | None = None,
    cadre: str | None = None,
    action: str | None = None,
    outcome: str | None = None,
    since: str | date | None = None,
    until: str | date | None = None,
) -> AuditFilter:
    """The filter from what a person typed; ``action`` matches exactly or as a prefix (``cadre``)."""
    first, last = _day(since), _day(until)
    if first and last and last < first:
        raise AuditQueryError("截止日期早于起始日期")
    return AuditFilter(
        user=user or None,
        cadre=normalize_cadre_id(cadre) if cadre else None,
        action=action or None,
        outcome=outcome or None,
        since=first,
        until=last,
    )


def _day(value: str | date | None) -> date | None:
    if not isinstance(value, str):
        return value
    try:
        return parse_date(value) if value.strip() else None
    except DateError as exc:
        raise AuditQueryError(f"日期有误：{exc}") from None


@dataclass(frozen=True)
class AuditRow:
    at: datetime  # aware, in the bot's time zone
    actor: str
    actor_role: str
    channel: str
    chat_id: str
    action: str
    query: str
    subject: str
    outcome: str
    detail: str


@dataclass(frozen=True)
class AuditPage:
    """Page 1 is the newest ``per_page`` rows; rows within a page read oldest first, like a log."""

    rows: tuple[AuditRow, ...]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class AuditExport:
    path: Path
    rows: int


def _row(e: AuditEntry, tz: ZoneInfo) -> AuditRow:
    return AuditRow(
        e.at.astimezone(tz), e.actor, e.actor_role, e.channel, e.chat_id, e.action, e.query,
        e.subject or "", e.outcome, e.detail,
    )  # fmt: skip


async def read_log(
    bot: OrgBot, actor: Actor, f: AuditFilter, *, page: int = 1, per_page: int = 50
) -> AuditPage | NotPermitted:
    if not actor.may(AUDIT_ROLE):
        await audit_alone(bot, actor.record("audit.read", DENIED))
        return NotPermitted("audit.read", AUDIT_ROLE)
    page, per_page = max(1, page), max(1, per_page)
    tz = ZoneInfo(bot.config.bot.timezone)
    async with bot.db() as session:
        total = await session.scalar(select(func.count()).select_from(build_query(f, tz).subquery())) or 0
        if page == 1:
            entries = await fetch(session, f, tz, limit=per_page)
        else:
            stmt = build_query(f, tz).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            entries = list(await session.scalars(stmt.offset((page - 1) * per_page).limit(per_page)))[::-1]
    return AuditPage(tuple(_row(e, tz) for e in entries), page, per_page, total)


async def export_log(bot: OrgBot, actor: Actor, f: AuditFilter, path: Path) -> AuditExport | NotPermitted:
    """Every matching row, oldest first, to .csv or .xlsx (``path``'s suffix); the export is audited."""
    if not actor.may(AUDIT_ROLE):
        await audit_alone(bot, actor.record(EXPORT_ACTION, DENIED, query=str(path)))
        return NotPermitted(EXPORT_ACTION, AUDIT_ROLE)
    if path.suffix.lower() not in EXPORT_SUFFIXES:
        raise AuditQueryError("导出文件的扩展名应为 .csv 或 .xlsx")
    tz = ZoneInfo(bot.config.bot.timezone)
    async with bot.db() as session:
        entries = await fetch(session, f, tz)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_table(path, "审计日志", HEADERS, (as_row(e, tz) for e in entries))
    await audit_alone(bot, actor.record(EXPORT_ACTION, "ok", query=str(path), detail=f"{len(entries)} rows"))
    return AuditExport(path, len(entries))
