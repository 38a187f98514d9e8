"""审计日志: filter by person, cadre, action, outcome and date; export (bot/audit_service.py, as `orgbot audit`)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from aiohttp import web

from bot import audit_service
from bot.actor import Actor, NotPermitted
from bot.audit_trail import HEADERS, AuditFilter
from bot.console.downloads import download
from bot.console.routes import RouteTable
from bot.console.visit import Visit
from bot.roles import Role

routes = RouteTable()

FIELDS = ("user", "cadre", "action", "outcome", "since", "until")


def _filter(v: Visit) -> tuple[AuditFilter, str]:
    """The filter as typed, read by the service, or no filter and why it was refused."""
    try:
        return audit_service.audit_filter(**{k: v.field(k) or None for k in FIELDS}), ""
    except audit_service.AuditQueryError as exc:
        return AuditFilter(), str(exc)


def _query_string(v: Visit) -> str:
    return urlencode({k: v.field(k) for k in FIELDS if v.field(k)})


@routes.get("/audit", role=Role.ADMIN)
async def audit_list(v: Visit) -> web.StreamResponse:
    f, error = _filter(v)
    pager = v.pager()
    page = await audit_service.read_log(v.bot, Actor(v.access, "console"), f, page=pager.page, per_page=pager.size)
    if isinstance(page, NotPermitted):
        raise v.not_permitted(page)
    pager.total = page.total
    return v.render(
        "audit.html",
        rows=list(reversed(page.rows)),
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
        done = await audit_service.export_log(v.bot, Actor(v.access, "console"), f, path)
        if isinstance(done, NotPermitted):
            raise v.not_permitted(done)
        v.audited = True  # the service audits the export itself

    return await download("审计日志.xlsx", write)
