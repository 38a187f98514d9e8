"""会议通知与回执: create a notice, each notice's confirmed and unconfirmed lists, 催办, xlsx export."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot.console.downloads import download
from bot.console.pages.schedules import actor, recipient_form_choices
from bot.console.routes import RouteTable
from bot.console.visit import Visit
from bot.scheduling import schedules as sched
from bot.scheduling.actor import Refused
from bot.scheduling.receipt_desk import Nudge, ReceiptView
from bot.scheduling.reminders import NewNotice
from bot.scheduling.targets import TargetError

routes = RouteTable()

NUDGE_MESSAGES = {
    Nudge.GROUP_ONLY: "这条通知只发到了群聊，无法知道谁未确认，不能催办。",
    Nudge.ALL_CONFIRMED: "全部已确认，无需催办。",
}


def _notice_id(v: Visit) -> int:
    return int(v.request.match_info["id"])


async def _view(v: Visit) -> ReceiptView:
    try:
        return await v.bot.scheduling.receipts.report(actor(v), _notice_id(v))
    except Refused as exc:
        v.audited = True
        raise v.refuse(str(exc)) from exc
    except sched.ScheduleError as exc:
        raise web.HTTPNotFound(text=str(exc)) from exc


@routes.get("/notices")
async def notice_list(v: Visit) -> web.StreamResponse:
    pager = v.pager()
    # One more than a page: is there a next one?
    notices = await v.bot.scheduling.receipts.overview(actor(v), offset=pager.offset, limit=pager.size + 1)
    pager.total, pager.exact = pager.offset + len(notices), False
    return v.render("notices.html", notices=notices[: pager.size], pager=pager)


def _notice_form(v: Visit) -> dict[str, str]:
    picked = " ".join(p for p in v.form.getall("pick", []) if isinstance(p, str))
    return {
        "name": v.field("name"),
        "event": v.field("event"),
        "send": v.field("send"),
        "rereminder": v.field("rereminder") or "不催",
        "to": " ".join(x for x in (v.field("to"), picked) if x),
        "text": v.field("text"),
    }


async def _form_page(v: Visit, form: dict[str, str], error: str = "") -> web.Response:
    return v.render("notice_form.html", form=form, error=error, choices=await recipient_form_choices(v))


@routes.get("/notices/new")
async def notice_new(v: Visit) -> web.StreamResponse:
    return await _form_page(v, {"name": "", "event": "", "send": "", "rereminder": "不催", "to": "", "text": ""})


@routes.post("/notices/new", action="schedule.create")
async def notice_create(v: Visit) -> web.StreamResponse:
    form = _notice_form(v)
    cmd = NewNotice(
        actor(v),
        name=form["name"],
        event=form["event"],
        to=form["to"],
        send=form["send"] or None,
        rereminder=form["rereminder"],
        text=form["text"],
    )
    try:
        created = await v.bot.scheduling.reminders.create(cmd)
    except Refused as exc:
        v.audited, v.outcome, v.detail = True, "refused", str(exc)
        return await _form_page(v, form, str(exc))
    except (sched.ScheduleError, TargetError) as exc:
        return await _form_page(v, form, v.invalid(str(exc)))
    v.audited = True
    return v.redirect(f"/admin/notices/{created.schedule.id}", f"已创建会议通知 #{created.schedule.id}")


@routes.get("/notices/{id:\\d+}", action="receipt.report")
async def notice_show(v: Visit) -> web.StreamResponse:
    view = await _view(v)
    v.subject = str(view.schedule.id)
    return v.render("notice.html", view=view, rep=view.report)


@routes.post("/notices/{id:\\d+}/nudge", action="receipt.nudge")
async def notice_nudge(v: Visit) -> web.StreamResponse:
    try:
        nudged = await v.bot.scheduling.receipts.nudge(actor(v), _notice_id(v))
    except Refused as exc:
        v.audited = True
        raise v.refuse(str(exc)) from exc
    except sched.ScheduleError as exc:
        raise web.HTTPNotFound(text=str(exc)) from exc
    if nudged.outcome is Nudge.SENT:
        v.audited = True
        scope = "（仅您管理的单位）" if nudged.scoped else ""
        return v.redirect(f"/admin/notices/{nudged.schedule.id}", f"已催办 {nudged.recipients} 人{scope}")
    v.detail = nudged.outcome.value
    return v.redirect(f"/admin/notices/{nudged.schedule.id}", NUDGE_MESSAGES[nudged.outcome])


@routes.get("/notices/{id:\\d+}/export.xlsx", action="receipt.export")
async def notice_export(v: Visit) -> web.StreamResponse:
    view = await _view(v)
    v.subject = str(view.schedule.id)

    async def write(path: Path) -> None:
        try:
            await v.bot.scheduling.receipts.export(actor(v), view.schedule.id, path)
        except Refused as exc:
            v.audited = True
            raise v.refuse(str(exc)) from exc

    return await download(f"回执_{view.schedule.id}_{view.schedule.name[:30]}.xlsx", write)
