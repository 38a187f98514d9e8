"""定时提醒: list, create/edit with the chat's time parser and a live preview, the lifecycle, templates."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.actor import Actor
from bot.cadres import alert_text, alerts
from bot.cadres.sheets import write_table
from bot.console.downloads import download
from bot.console.pickers import Choices, recipient_choices
from bot.console.routes import RouteTable
from bot.console.visit import Visit
from bot.roles import Role
from bot.scheduling import record_alerts, wording
from bot.scheduling import schedules as sched
from bot.scheduling.actor import Refused
from bot.scheduling.reminders import Detail, EditReminder, NewReminder, Preview, ScheduleRef
from bot.scheduling.rules import describe_rule
from bot.scheduling.targets import TargetError, describe_targets, load_targets
from bot.scheduling.templates import Template, find_template

routes = RouteTable()

HOLIDAY_CHOICES = (("", "提前到之前的工作日（默认）"), ("keep", "照常发送"), ("next", "顺延到下一个工作日"))
# The four lifecycle actions, each confirmed on its own page before it is posted.
OPERATIONS = {
    "pause": ("暂停", "暂停后不再发送，直到恢复；重启后仍保持暂停。"),
    "resume": ("恢复", "恢复后按规则继续发送；暂停期间到期的推送不会补发。"),
    "run-now": ("立即发送", "现在就按当前对象发送一次；下次计划发送不变。"),
    "remove": ("删除", "删除后不再发送，未发出的推送将取消；修改记录保留。"),
}


def actor(v: Visit) -> Actor:
    return Actor(v.access, "console")


def _schedule_id(v: Visit) -> int:
    raw = v.request.match_info["id"]
    if not raw.isdigit() or len(raw) > 12:
        raise web.HTTPNotFound()
    return int(raw)


@dataclass
class ReminderForm:
    """The create/edit form as posted, kept to be shown again with the preview or the error."""

    name: str = ""
    text: str = ""
    when: str = ""
    to: str = ""
    template: str = ""
    urgent: bool = False
    receipt: bool = False
    holidays: str = ""

    @classmethod
    def read(cls, v: Visit) -> ReminderForm:
        picked = " ".join(p for p in v.form.getall("pick", []) if isinstance(p, str))
        to = " ".join(x for x in (v.field("to"), picked) if x)
        holidays = v.field("holidays")
        return cls(
            name=v.field("name"),
            text=v.field("text"),
            when=v.field("when"),
            to=to,
            template=v.field("template"),
            urgent=v.flag("urgent"),
            receipt=v.flag("receipt"),
            holidays=holidays if holidays in ("keep", "next") else "",
        )

    def command(self, v: Visit) -> NewReminder:
        return NewReminder(
            actor(v),
            to=self.to,
            when=self.when or None,
            name=self.name,
            text=self.text if (self.text or not self.template) else None,
            template=self.template or None,
            urgent=self.urgent,
            receipt=self.receipt,
            holidays=self.holidays or None,
        )


def preview_text(v: Visit, preview: Preview) -> str:
    """The rule, recipients and next 5 fires in the CLI's and chat's own wording."""
    policy = v.bot.scheduling.policy
    draft = preview.draft
    lines = [
        f"{sched.KIND_LABELS[draft.kind]}：{draft.name}",
        f"规则：{describe_rule(draft.rule, policy)}",
        f"对象：{describe_targets(draft.targets, preview.names)}",
    ]
    if preview.note:
        lines.append(f"说明：{preview.note}")
    lines.append("接下来 5 次发送：")
    lines.extend(wording.plan_lines(preview.plan, draft.rule, policy))
    return "\n".join(lines)


async def recipient_form_choices(v: Visit) -> Choices:
    return await recipient_choices(v.bot, v.access)


async def _form_page(v: Visit, form: ReminderForm, **extra: Any) -> web.Response:
    templates = await v.bot.scheduling.reminders.templates()
    choices = await recipient_form_choices(v)
    return v.render(
        "schedule_form.html",
        form=form,
        templates=templates,
        choices=choices,
        holiday_choices=HOLIDAY_CHOICES,
        preview=extra.pop("preview", ""),
        error=extra.pop("error", ""),
        **extra,
    )


@routes.get("/schedules")
async def schedule_list(v: Visit) -> web.StreamResponse:
    show_all = v.flag("all")
    pager = v.pager()
    rows, pager.total = await v.bot.scheduling.reminders.listing_page(
        actor(v), include_done=show_all, offset=pager.offset, limit=pager.size
    )
    policy = v.bot.scheduling.policy
    return v.render(
        "schedules.html",
        rows=[(item, describe_rule(sched.rule_of(item.schedule), policy)) for item in rows],
        pager=pager,
        show_all=show_all,
        kinds=sched.KIND_LABELS,
        statuses=sched.STATUS_LABELS,
        templates=await v.bot.scheduling.reminders.templates(),
    )


@routes.get("/schedules/new")
async def schedule_new(v: Visit) -> web.StreamResponse:
    return await _form_page(v, ReminderForm(template=v.field("template")))


@routes.post("/schedules/preview", action="schedule.preview", quiet=True)
async def schedule_preview(v: Visit) -> web.StreamResponse:
    """The live preview (fetch, JSON) and the 预览 button (the form again, with the preview)."""
    form = ReminderForm.read(v)
    records = _records_template(form)
    try:
        if records is not None:
            text, error = _checkpoints_text(v, records, form.when), ""
        else:
            text = preview_text(v, await v.bot.scheduling.reminders.preview(form.command(v)))
            error = ""
    except Refused as exc:
        v.audited = True  # the service wrote the refusal
        text, error = "", str(exc)
        v.outcome = "refused"
    except (sched.ScheduleError, TargetError) as exc:
        text, error = "", v.invalid(str(exc))
    if "application/json" in v.request.headers.get("Accept", ""):
        return web.json_response({"preview": text or f"（{error}）", "error": error})
    return await _form_page(v, form, preview=text, error=error)


def _records_template(form: ReminderForm) -> Template | None:
    """学时预警 and 后备干部复核 are turned on by the record-alerts service, as in chat and the CLI."""
    template = find_template(form.template) if form.template else None
    return template if template is not None and template.from_records else None


def _checkpoints_text(v: Visit, template: Template, when: str) -> str:
    policy = v.bot.scheduling.policy
    rules = record_alerts.checkpoint_rules(when or template.default_when, v.bot.clock.now().astimezone(policy.tz))
    lines = [f"{template.name}：每个检查点一条每年的提醒（仅管理员可启用）"]
    lines.extend(f"  {label}：{describe_rule(rule, policy)}" for label, rule in rules)
    lines.append("对象：按干部记录在检查点当天确定（本人、所在单位的组织员、管理员）。")
    return "\n".join(lines)


async def _enable_records(v: Visit, form: ReminderForm, template: Template) -> web.StreamResponse:
    try:
        async with v.bot.db() as session, session.begin():
            done = await record_alerts.enable(
                session, template, form.when, actor(v), v.bot.clock.now(), v.bot.scheduling.policy
            )
    except sched.ScheduleError as exc:
        return await _form_page(v, form, error=v.invalid(str(exc)))
    v.audited = bool(done.created)  # the service audits what it turned on
    skipped = f"；已启用过：{'、'.join(done.skipped)}" if done.skipped else ""
    if not done.created:
        v.outcome = "unchanged"
        return v.redirect("/admin/schedules", f"“{template.name}”的这些检查点都已启用{skipped}")
    first = done.created[0]
    ids = " ".join(f"#{s.id}" for s in done.created)
    return v.redirect(f"/admin/schedules/{first.id}", f"已启用“{template.name}”：{ids}{skipped}")


@routes.post("/schedules/new", action="schedule.create")
async def schedule_create(v: Visit) -> web.StreamResponse:
    form = ReminderForm.read(v)
    records = _records_template(form)
    if records is not None:
        return await _enable_records(v, form, records)
    try:
        created = await v.bot.scheduling.reminders.create(form.command(v))
    except Refused as exc:
        v.audited, v.outcome, v.detail = True, "refused", str(exc)
        return await _form_page(v, form, error=str(exc))
    except (sched.ScheduleError, TargetError) as exc:
        return await _form_page(v, form, error=v.invalid(str(exc)))
    v.audited = True
    s = created.schedule
    return v.redirect(f"/admin/schedules/{s.id}", f"已创建 #{s.id} {s.name}")


async def _detail(v: Visit) -> Detail:
    """The schedule of the URL, if this person manages it (the service says, and audits a refusal)."""
    try:
        return await v.bot.scheduling.reminders.show(ScheduleRef(actor(v), _schedule_id(v)))
    except Refused as exc:
        v.audited = True
        raise v.refuse(str(exc)) from exc
    except sched.ScheduleError as exc:
        raise web.HTTPNotFound(text=str(exc)) from exc


@routes.get("/schedules/{id:\\d+}")
async def schedule_show(v: Visit) -> web.StreamResponse:
    detail = await _detail(v)
    policy = v.bot.scheduling.policy
    lines = wording.summary_lines(detail.schedule, policy, detail.at, detail.names, detail.fired)
    behind = detail.schedule.template == alerts.TRAINING
    if record_alerts.is_record_alert(detail.schedule):
        lines = [*lines, "", await _checkpoint_preview(v, detail.schedule.id)]
    return v.render(
        "schedule.html", s=detail.schedule, lines=lines, history=detail.history, operations=OPERATIONS, behind=behind
    )


@routes.get("/schedules/behind.xlsx", action="cadre.alert.export")
async def behind_export(v: Visit) -> web.StreamResponse:
    """The full list behind a 学时 summary, within the viewer's units; each cadre in it audited."""
    policy = v.bot.scheduling.policy
    now = v.bot.clock.now()

    async def write(path: Path) -> None:
        try:
            async with v.bot.db() as session, session.begin():
                rows = await record_alerts.behind_list(session, actor(v), now, policy, v.bot.config.cadres, export=True)
        except sched.ScheduleError as exc:
            raise v.refuse(str(exc)) from exc
        v.audited = True
        write_table(path, "学时进度落后", alert_text.EXPORT_HEADERS, alert_text.export_rows(rows))

    return await download(f"学时进度落后_{now.astimezone(policy.tz):%Y%m%d}.xlsx", write)


async def _checkpoint_preview(v: Visit, schedule_id: int) -> str:
    """Who the next checkpoint would tell, as chat's /提醒 预览 words it; nothing is sent."""
    who = actor(v)
    policy = v.bot.scheduling.policy
    async with v.bot.db() as session:
        p = await record_alerts.preview(session, schedule_id, who, v.bot.clock.now(), policy, v.bot.config.cadres)
    return alert_text.preview_text(p.schedule_id, p.name, p.at, p.training, p.reserve, who.access, policy.tz)


@routes.get("/schedules/{id:\\d+}/edit")
async def schedule_edit_form(v: Visit) -> web.StreamResponse:
    # An edit that changes nothing: the service checks ownership without planning the fires.
    try:
        s = (await v.bot.scheduling.reminders.preview_edit(EditReminder(actor(v), _schedule_id(v)))).schedule
    except Refused as exc:
        v.audited = True
        raise v.refuse(str(exc)) from exc
    except sched.ScheduleError as exc:
        raise web.HTTPNotFound(text=str(exc)) from exc
    to = " ".join(_token(spec.kind, spec.value, spec.channel) for spec in load_targets(s.targets))
    form = ReminderForm(name=s.name, text=s.text, to=to)
    return await _form_page(v, form, editing=s)


def _token(kind: str, value: str, channel: str | None) -> str:
    """A stored recipient written back as the form's text (the same words chat accepts)."""
    if kind == "user":
        return f"@{value}"
    if kind == "unit":
        return f"单位:{value}"
    if kind == "role":
        return f"角色:{Role.parse(value).label}"
    if kind == "group":
        return f"群:{channel}:{value}"
    return "全体"


FIELD_LABELS = {"name": "标题", "text": "内容", "rule": "时间", "targets": "对象"}


def _edit_command(v: Visit, form: ReminderForm) -> EditReminder:
    """Empty fields keep their value (the time field is empty unless the time changes)."""
    return EditReminder(
        actor(v), _schedule_id(v), name=form.name or None, text=form.text, when=form.when or None, to=form.to or None
    )


@routes.post("/schedules/{id:\\d+}/edit/preview", action="schedule.edit_preview", quiet=True)
async def schedule_edit_preview(v: Visit) -> web.StreamResponse:
    """What the edit would change and the next 5 fires after it, in the chat's and CLI's wording."""
    form = ReminderForm.read(v)
    editing = (await _detail(v)).schedule
    try:
        preview = await v.bot.scheduling.reminders.preview_edit(_edit_command(v, form))
    except Refused as exc:
        v.audited = True
        raise v.refuse(str(exc)) from exc
    except (sched.ScheduleError, TargetError) as exc:
        return await _form_page(v, form, error=v.invalid(str(exc)), editing=editing)
    policy = v.bot.scheduling.policy
    lines = wording.edit_preview(preview.schedule, preview.draft, policy, preview.at, preview.names)
    return await _form_page(v, form, preview="\n".join(lines), editing=editing)


@routes.post("/schedules/{id:\\d+}/edit", action="schedule.edit")
async def schedule_edit(v: Visit) -> web.StreamResponse:
    form = ReminderForm.read(v)
    try:
        edited = await v.bot.scheduling.reminders.edit(_edit_command(v, form))
    except Refused as exc:
        v.audited = True
        raise v.refuse(str(exc)) from exc
    except (sched.ScheduleError, TargetError) as exc:
        editing = (await _detail(v)).schedule
        return await _form_page(v, form, error=v.invalid(str(exc)), editing=editing)
    v.audited = True
    changed = "、".join(FIELD_LABELS.get(f, f) for f in edited.fields) or "无改动"
    return v.redirect(f"/admin/schedules/{edited.schedule.id}", f"已修改 #{edited.schedule.id}（{changed}）")


@routes.get("/schedules/{id:\\d+}/{op:pause|resume|run-now|remove}")
async def schedule_confirm(v: Visit) -> web.StreamResponse:
    """Every lifecycle action is confirmed on a page that says what will happen (works without script)."""
    op = v.request.match_info["op"]
    ref = ScheduleRef(actor(v), _schedule_id(v))
    try:
        if op == "remove":
            removal = await v.bot.scheduling.reminders.removal(ref)
            schedule, note = removal.schedule, f"未发出的推送 {removal.unsent} 条将取消。"
        else:
            schedule, note = (await v.bot.scheduling.reminders.show(ref)).schedule, ""
    except Refused as exc:
        v.audited = True
        raise v.refuse(str(exc)) from exc
    except sched.ScheduleError as exc:
        raise web.HTTPNotFound(text=str(exc)) from exc
    label, explain = OPERATIONS[op]
    return v.render("confirm.html", s=schedule, op=op, label=label, explain=explain, note=note)


@routes.post("/schedules/{id:\\d+}/{op:pause|resume|run-now|remove}", action="schedule.change")
async def schedule_change(v: Visit) -> web.StreamResponse:
    op = v.request.match_info["op"]
    ref = ScheduleRef(actor(v), _schedule_id(v))
    reminders = v.bot.scheduling.reminders
    try:
        if op == "pause":
            schedule = (await reminders.pause(ref)).schedule
            message = f"已暂停 #{schedule.id} {schedule.name}"
        elif op == "resume":
            schedule = (await reminders.resume(ref)).schedule
            message = f"已恢复 #{schedule.id} {schedule.name}"
        elif op == "run-now":
            ran = await reminders.run_now(ref)
            schedule = ran.schedule
            merged = "（与同一时刻的计划发送合并）" if ran.merged else ""
            message = f"已立即发送 #{schedule.id}：{ran.recipients} 人{merged}"
        else:
            removed = await reminders.remove(ref)
            v.audited = True
            return v.redirect(
                "/admin/schedules",
                f"已删除 #{removed.schedule.id} {removed.schedule.name}；取消推送 {removed.cancelled} 条",
            )
    except Refused as exc:
        v.audited = True
        raise v.refuse(str(exc)) from exc
    except sched.ScheduleError as exc:
        return v.redirect(f"/admin/schedules/{ref.schedule_id}", v.invalid(str(exc)))
    v.audited = True
    return v.redirect(f"/admin/schedules/{schedule.id}", message)
