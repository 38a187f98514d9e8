"""审计日志: filter by person, cadre, action, outcome and date; export (the reader of `orgbot audit`)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy import func, select

from bot.audit_trail import HEADERS, AuditFilter, as_row, build_query, fetch
from bot.cadres.dates import DateError, parse_date
from bot.cadres.ids import normalize_cadre_id
from bot.cadres.sheets import write_table
from bot.console.downloads import download
from bot.console.routes import RouteTable
from bot.console.visit import Visit
from bot.roles import Role
from bot.storage.models import AuditEntry

routes = RouteTable()

FIELDS = ("user", "cadre", "action", "outcome", "since", "until")


def _filter(v: Visit) -> tuple[AuditFilter, str]:
    """The filter from the query string, or no filter and the reason it was refused."""
    try:
        since = parse_date(v.field("since")) if v.field("since") else None
        until = parse_date(v.field("until")) if v.field("until") else None
    except DateError as exc:
        return AuditFilter(), f"日期有误：{exc}"
    if since and until and until < since:
        return AuditFilter(), "截止日期早于起始日期"
    cadre = v.field("cadre")
    return (
        AuditFilter(
            user=v.field("user") or None,
            cadre=normalize_cadre_id(cadre) if cadre else None,
            action=v.field("action") or None,
            outcome=v.field("outcome") or None,
            since=since,
            until=until,
        ),
        "",
    )


def _query_string(v: Visit) -> str:
    return urlencode({k: v.field(k) for k in FIELDS if v.field(k)})


@routes.get("/audit", role=Role.ADMIN)
async def audit_list(v: Visit) -> web.StreamResponse:
    f, error = _filter(v)
    stmt = build_query(f, v.tz)
    async with v.bot.db() as session:
        total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        pager = v.pager(total)
        rows = list(
            await session.scalars(
                stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).offset(pager.offset).limit(pager.size)
            )
        )
    return v.render(
        "audit.html",
        rows=[as_row(e, v.tz) for e in rows],
        headers=HEADERS,
        pager=pager,
        error=error,
        values={k: v.field(k) for k in FIELDS},
        query_string=_query_string(v),
    )


@routes.get("/audit/export.xlsx", role=Role.ADMIN, action="audit.export")
async def audit_export(v: Visit) -> web.StreamResponse:
    f, error = _filter(v)
    if error:
        raise v.refuse(v.invalid(error))

    async def write(path: Path) -> None:
        async with v.bot.db() as session:
            entries = await fetch(session, f, v.tz)
        write_table(path, "审计日志", HEADERS, (as_row(e, v.tz) for e in entries))
        v.detail = f"{len(entries)} rows"

    v.query = _query_string(v)[:200]
    return await download("审计日志.xlsx", write)
