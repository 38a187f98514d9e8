"""投递队列: pushes waiting and failed, why, and retrying them (the outbox service of `orgbot outbox`)."""

from __future__ import annotations

from aiohttp import web

from bot.console.routes import RouteTable
from bot.console.visit import Visit
from bot.roles import Role
from bot.scheduling.outbox import STATUS_LABELS, count_by_status, list_rows, retry

routes = RouteTable()

VIEWS = {"failed": ("failed",), "pending": ("pending", "sending"), "all": ()}


@routes.get("/outbox", role=Role.ADMIN)
async def outbox_list(v: Visit) -> web.StreamResponse:
    show = v.field("show") if v.field("show") in VIEWS else "failed"
    statuses = VIEWS[show]
    async with v.bot.db() as session:
        counts = await count_by_status(session)
        total = sum(n for s, n in counts.items() if not statuses or s in statuses)
        pager = v.pager(total)
        rows = (await list_rows(session, statuses or None, pager.offset + pager.size))[pager.offset :]
    return v.render("outbox.html", rows=rows, counts=counts, labels=STATUS_LABELS, show=show, pager=pager)


@routes.post("/outbox/retry", role=Role.ADMIN, action="outbox.retry")
async def outbox_retry(v: Visit) -> web.StreamResponse:
    ids = [int(x) for x in v.form.getall("id", []) if isinstance(x, str) and x.isdigit() and len(x) < 12]
    async with v.bot.db() as session, session.begin():
        count = await retry(session, v.now(), ids)
    v.detail = f"{count} rows" + (f": {','.join(map(str, ids))[:200]}" if ids else " (all failed)")
    return v.redirect("/admin/outbox", f"已重新排队 {count} 条失败的推送；运行中的服务会按频率限制重新发送。")
