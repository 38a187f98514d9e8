"""干部数据: one person's record exactly as chat shows it to this viewer (each view audited by the lookup
service), and for admins the sheet templates, the all-or-nothing import with its row report, and exports.

There is deliberately no list of cadres: records are looked up one at a time, like in chat.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from aiohttp import web

from bot.actor import Actor, NotPermitted
from bot.cadres import replies
from bot.cadres.data_service import blank_templates, export_register, import_sheets
from bot.cadres.importer import render_report
from bot.cadres.lookup_service import ACTIONS, LookupCommand, LookupKind, lookup
from bot.cadres.templates import BY_NAME, KINDS
from bot.console.downloads import download
from bot.console.routes import RouteTable
from bot.console.uploads import save_uploads
from bot.console.visit import Visit
from bot.roles import Role

routes = RouteTable()

LOOKUP_KINDS: dict[str, str] = {"profile": "基本信息", "training": "培训学时", "reserve": "后备干部"}
SHEET_SUFFIXES = (".xlsx", ".csv")


def _kind(v: Visit) -> LookupKind:
    raw = v.field("kind")
    return raw if raw in ACTIONS else "profile"  # type: ignore[return-value]


@routes.get("/cadres")
async def cadres_page(v: Visit) -> web.StreamResponse:
    return v.render("cadres.html", kinds=LOOKUP_KINDS, sheets=KINDS, asked="", kind="profile", answer="")


@routes.post("/cadres/record", action="cadre.lookup")
async def cadre_record(v: Visit) -> web.StreamResponse:
    """The lookup service decides, masks and writes the audit row (channel console); this page only shows."""
    asked, kind = v.field("q")[:64], _kind(v)
    command = LookupCommand(Actor(v.access, "console"), kind, asked=asked, text=asked)
    answer = replies.render(await lookup(v.bot, command))
    v.audited = True
    return v.render("cadres.html", kinds=LOOKUP_KINDS, sheets=KINDS, asked=asked, kind=kind, answer=answer)


@routes.get("/cadres/template/{kind}.xlsx", role=Role.ADMIN)
async def sheet_template(v: Visit) -> web.StreamResponse:
    kind = BY_NAME.get(v.request.match_info["kind"])
    if kind is None:
        raise web.HTTPNotFound()

    async def write(path: Path) -> None:
        (written,) = blank_templates(path.parent / "t", "xlsx", [kind])
        written.replace(path)

    return await download(f"{kind.filename_stem}.xlsx", write)


@routes.get("/cadres/export/{kind}.xlsx", role=Role.ADMIN, action="data.export")
async def sheet_export(v: Visit) -> web.StreamResponse:
    kind = BY_NAME.get(v.request.match_info["kind"])
    if kind is None:
        raise web.HTTPNotFound()
    full = v.flag("full")

    async def write(path: Path) -> None:
        done = await export_register(v.bot, Actor(v.access, "console"), path.parent / "e", "xlsx", [kind], full=full)
        if isinstance(done, NotPermitted):
            raise v.not_permitted(done)
        done.files[0].path.replace(path)
        v.audited = True  # the service audits every export, masked or full

    return await download(f"{kind.filename_stem}_导出.xlsx", write)


@routes.post("/data/import", role=Role.ADMIN, action="data.import")
async def data_import(v: Visit) -> web.StreamResponse:
    """All or nothing: any wrong row and nothing is written; the report names each row (the CLI's wording)."""
    dry_run = v.flag("dry_run")
    with tempfile.TemporaryDirectory(prefix="orgbot-import-") as folder:
        try:
            paths = save_uploads(v.form, "file", Path(folder), SHEET_SUFFIXES)
        except ValueError as exc:
            report_text = v.invalid(str(exc))
            paths = []
        else:
            report_text = ""
        if not paths and not report_text:
            report_text = v.invalid("请选择要导入的 .xlsx 或 .csv 文件")
        if paths:
            report = await import_sheets(v.bot, Actor(v.access, "console"), paths, dry_run=dry_run)
            if isinstance(report, NotPermitted):
                raise v.not_permitted(report)
            v.audited = True  # the service audits the import with its outcome and changes
            report_text = render_report(report, dry_run=dry_run)
            v.outcome = "rejected" if report.issues else ("dry_run" if dry_run else "applied")
    back = v.field("back") if v.field("back") in ("/admin/cadres", "/admin/staff") else "/admin/cadres"
    return v.render(
        "import_report.html", report=report_text, dry_run=dry_run, back=back, ok=v.outcome in ("applied", "dry_run")
    )
