"""Reminders and meeting notices: the one application layer chat, the CLI and the console call.

Each call takes a typed command — who acts (``Actor``) and the arguments — checks what that
person may do, does it in one transaction with its audit row, and returns a typed result.
How a result reads is the front end's business; errors carry the domain's own message.

Who may do what: an admin manages every schedule; an organizer only those they created, and
pushes only to people and units inside their unit scope (everyone, a whole role or a group
chat is for admins: a group's members cannot be checked against the organizer's units).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduling import firing, planner
from bot.scheduling import schedules as sched
from bot.scheduling.actor import Actor, Refusal, Refused, refusals_audited, units
from bot.scheduling.dialogue import is_now, parse_duration_minutes
from bot.scheduling.models import Schedule, ScheduleChange
from bot.scheduling.phrases import AskBack, Parsed, parse_phrase
from bot.scheduling.rules import Fire, Plan, Policy, Rule, plan
from bot.scheduling.targets import TargetSpec, parse_targets
from bot.scheduling.templates import TEMPLATES, Template, find_template
from bot.storage.models import Staff

if TYPE_CHECKING:
    from bot.app import OrgBot

# A time as a person typed it (“6月20日前”), or as a guided dialogue already parsed it.
When = str | Parsed
# Recipients as typed (“单位:U01 @zs”), or already parsed.
To = str | Sequence[TargetSpec]


class Unclear(sched.ScheduleError):
    """A time phrase needs an answer first: ``ask.question``. ``field``: when, event or send."""

    def __init__(self, field_name: str, ask: AskBack) -> None:
        super().__init__(ask.question)
        self.field = field_name
        self.ask = ask


class NoticeProblem(StrEnum):
    EVENT_NOT_SPECIFIC = "event_not_specific"  # a meeting needs one definite time
    SEND_NOT_SPECIFIC = "send_not_specific"
    SEND_AFTER_EVENT = "send_after_event"
    REREMINDER_UNREADABLE = "rereminder_unreadable"
    REREMINDER_BEFORE_SEND = "rereminder_before_send"
    EVENT_FIXED = "event_fixed"  # a notice's meeting time is not edited: send a new notice


NOTICE_MESSAGES = {
    NoticeProblem.EVENT_NOT_SPECIFIC: "会议通知需要一个具体的会议时间，例如“12月5日下午3点”。",
    NoticeProblem.SEND_NOT_SPECIFIC: "请给一个具体的发送时间，或“现在”。",
    NoticeProblem.SEND_AFTER_EVENT: "通知要在会议开始前发出。",
    NoticeProblem.REREMINDER_UNREADABLE: "催办时长应写成 1天 / 2小时 / 30分钟 / 不催。",
    NoticeProblem.REREMINDER_BEFORE_SEND: "催办时间早于通知发出时间了，请说一个更短的时长，或“不催”。",
    NoticeProblem.EVENT_FIXED: "会议通知的时间请删除后重新发；可以修改标题、内容和对象。",
}


class NoticeError(sched.ScheduleError):
    """A meeting notice's times do not fit together; ``problem`` says which, for the front end to word."""

    def __init__(self, problem: NoticeProblem) -> None:
        super().__init__(NOTICE_MESSAGES[problem])
        self.problem = problem


# ---------------------------------------------------------------- the rules, once


def _parsed(when: When, now_local: datetime, field_name: str) -> Parsed:
    if isinstance(when, Parsed):
        return when
    result = parse_phrase(when, now_local)
    if isinstance(result, AskBack):
        raise Unclear(field_name, result)
    return result


def reminder_rule(
    when: When,
    now_local: datetime,
    template: Template | None = None,
    holidays: str | None = None,
    ladder: Sequence[int] | None = None,
) -> Parsed:
    """The rule of a reminder: the phrase, the template's ladder on a deadline, then explicit
    choices (days before the deadline; ``holidays`` keep = 照常, next = 顺延)."""
    parsed = _parsed(when, now_local, "when")
    rule = template.applied_to(parsed.rule) if template is not None else parsed.rule
    if ladder:
        rule = replace(rule, ladder=tuple(ladder), deadline=True)
    if holidays == "keep":
        rule = replace(rule, shift="none")
    elif holidays == "next":
        rule = replace(rule, shift="next")
    return Parsed(rule, parsed.note)


def meeting_time(event: When, now_local: datetime) -> str:
    """The meeting's local time (ISO): one definite moment, not a series or a deadline."""
    rule = _parsed(event, now_local, "event").rule
    if rule.type != "once" or rule.deadline:
        raise NoticeError(NoticeProblem.EVENT_NOT_SPECIFIC)
    return rule.at


def send_time(send: When | None, event_at: str, now_local: datetime) -> str:
    """When the notice goes out (None or 现在: now), always before the meeting."""
    if send is None or (isinstance(send, str) and is_now(send)):
        at = now_local.replace(tzinfo=None, microsecond=0).isoformat()
    else:
        rule = _parsed(send, now_local, "send").rule
        if rule.type != "once" or rule.deadline:
            raise NoticeError(NoticeProblem.SEND_NOT_SPECIFIC)
        at = rule.at
    if datetime.fromisoformat(at) >= datetime.fromisoformat(event_at):
        raise NoticeError(NoticeProblem.SEND_AFTER_EVENT)
    return at


def rereminder_minutes(rereminder: str | int, event_at: str, send_at: str) -> int:
    """How long before the meeting the unconfirmed are reminded (0: not at all), after the notice went out."""
    minutes = rereminder if isinstance(rereminder, int) else parse_duration_minutes(rereminder or "不催")
    if minutes is None or minutes < 0:
        raise NoticeError(NoticeProblem.REREMINDER_UNREADABLE)
    event = datetime.fromisoformat(event_at)
    if minutes and event - timedelta(minutes=minutes) <= datetime.fromisoformat(send_at):
        raise NoticeError(NoticeProblem.REREMINDER_BEFORE_SEND)
    return minutes


def notice_rule(event: When, send: When | None, rereminder: str | int, now_local: datetime) -> Rule:
    """A meeting notice: sent once at ``send``, reminding the unconfirmed ``rereminder`` before the
    meeting; holidays never move it (the meeting is when it is)."""
    event_at = meeting_time(event, now_local)
    send_at = send_time(send, event_at, now_local)
    minutes = rereminder_minutes(rereminder, event_at, send_at)
    return Rule("once", at=send_at, event_at=event_at, rereminder_minutes=minutes, shift="none")


# ---------------------------------------------------------------- commands and results


@dataclass(frozen=True)
class NewReminder:
    """A reminder, a recurring push or a deadline. With a ``template``, a missing name, text and
    time come from it."""

    actor: Actor
    to: To
    when: When | None = None
    name: str = ""
    text: str | None = None
    template: str | None = None
    urgent: bool = False
    receipt: bool = False
    holidays: str | None = None  # keep (照常) / next (顺延); None: to the previous workday
    ladder: tuple[int, ...] | None = None


@dataclass(frozen=True)
class NewNotice:
    """A meeting notice collecting receipts. ``send`` None: sent at the moment it is created."""

    actor: Actor
    name: str
    event: When
    to: To
    send: When | None = None
    rereminder: str | int = 0
    text: str = ""
    urgent: bool = False


@dataclass(frozen=True)
class ScheduleRef:
    actor: Actor
    schedule_id: int


@dataclass(frozen=True)
class EditReminder:
    """Only the fields given change; ``when`` keeps the schedule's holiday choice and template ladder."""

    actor: Actor
    schedule_id: int
    name: str | None = None
    text: str | None = None
    when: When | None = None
    to: To | None = None


@dataclass(frozen=True)
class Preview:
    """What creating would do: the draft, its next fires (with moves, merges and skips) and notes."""

    draft: sched.ScheduleDraft
    plan: Plan
    at: datetime  # the moment the fires are counted from
    note: str = ""  # what the time phrase was understood as, when worth saying
    names: dict[str, str] = field(default_factory=dict)  # user id → name, to describe the recipients

    @property
    def fires(self) -> list[Fire]:
        return self.plan.fires

    @property
    def choice(self) -> Fire | None:
        """The first fire on a non-workday whose earlier workday is past: 照常 or 顺延 must be chosen."""
        return next((f for f in self.fires if f.needs_choice), None)

    @property
    def moved(self) -> bool:
        """Some fire moved off a holiday (the person may want it kept on the day)."""
        return any(f.moved_from for f in self.fires) and self.draft.rule.shift != "none"


@dataclass(frozen=True)
class Created:
    schedule: Schedule
    preview: Preview


@dataclass(frozen=True)
class Listed:
    schedule: Schedule
    next_at: datetime | None


@dataclass(frozen=True)
class Detail:
    schedule: Schedule
    upcoming: Plan  # the next 5 fires, those already sent left out
    fired: set[str]
    history: list[ScheduleChange]  # newest first
    names: dict[str, str]
    at: datetime


@dataclass(frozen=True)
class Changed:
    """A pause or a resume; ``upcoming``: the next 5 fires once resumed (empty when paused)."""

    schedule: Schedule
    upcoming: Plan
    at: datetime


@dataclass(frozen=True)
class Removal:
    """What removing would do: ``unsent`` queued pushes cancelled."""

    schedule: Schedule
    unsent: int


@dataclass(frozen=True)
class Removed:
    schedule: Schedule
    cancelled: int


@dataclass(frozen=True)
class RanNow:
    """``merged``: the schedule had already fired at this very instant, so nobody got a second copy."""

    schedule: Schedule
    recipients: int
    merged: bool


@dataclass(frozen=True)
class EditPreview:
    schedule: Schedule
    draft: sched.ScheduleDraft
    names: dict[str, str]
    at: datetime

    @property
    def changed(self) -> tuple[str, ...]:
        """Which of name, text, rule, targets the edit changes."""
        s, d = self.schedule, self.draft
        out = []
        if d.name.strip() != s.name:
            out.append("name")
        if d.text.strip() != s.text:
            out.append("text")
        if d.rule != sched.rule_of(s):
            out.append("rule")
        if sched.dump_targets(d.targets) != s.targets:
            out.append("targets")
        return tuple(out)


@dataclass(frozen=True)
class Edited:
    schedule: Schedule
    fields: tuple[str, ...]
    upcoming: Plan
    at: datetime


@dataclass(frozen=True)
class TemplateState:
    template: Template
    enabled: bool


NewSchedule = NewReminder | NewNotice


# ---------------------------------------------------------------- the service


class Reminders:
    """Reminders and notices for every front end; reached as ``bot.scheduling.reminders``."""

    def __init__(self, bot: OrgBot, policy: Policy) -> None:
        self.bot = bot
        self.policy = policy

    def _now(self) -> datetime:
        return self.bot.clock.now()

    # -------------------------------------------------- create

    async def preview(self, cmd: NewSchedule) -> Preview:
        """What ``create`` would make, and when it would send; sends and stores nothing."""
        now = self._now()
        async with refusals_audited(self.bot, cmd.actor, "schedule.create"), self.bot.db() as session:
            return await self._preview(session, cmd, now)

    async def create(self, cmd: NewSchedule) -> Created:
        """Check everything again (time passes, people move) and create, with its audit row."""
        now = self._now()
        async with refusals_audited(self.bot, cmd.actor, "schedule.create"), self.bot.db() as session, session.begin():
            preview = await self._preview(session, cmd, now)
            schedule = await sched.create(session, preview.draft, cmd.actor.user_id, preview.at, self.policy)
            cmd.actor.audit(session, now, "schedule.create", "ok", subject=str(schedule.id), query=preview.draft.name)
        return Created(schedule, preview)

    async def _preview(self, session: AsyncSession, cmd: NewSchedule, now: datetime) -> Preview:
        draft, note = self._draft(cmd, now.astimezone(self.policy.tz))
        targets = await self._targets(session, cmd.actor, cmd.to)
        draft = replace(draft, targets=targets)
        at = now - timedelta(seconds=1)
        draft.validate()
        fires = plan(draft.rule, self.policy, at, 5, urgent=draft.urgent, floor=at)
        return Preview(draft, fires, at, note, await firing.staff_names(session))

    def _draft(self, cmd: NewSchedule, now_local: datetime) -> tuple[sched.ScheduleDraft, str]:
        if isinstance(cmd, NewNotice):
            rule = notice_rule(cmd.event, cmd.send, cmd.rereminder, now_local)
            draft = sched.ScheduleDraft(cmd.name, cmd.text, rule, urgent=cmd.urgent, receipt=True)
            return draft, ""
        template = None
        if cmd.template:
            template = find_template(cmd.template)
            if template is None:
                raise UnknownTemplate(cmd.template)
            if template.from_records:
                raise RecordsTemplate(template.name)
        when = cmd.when if cmd.when is not None else (template.default_when if template else "")
        if not when:
            raise MissingTime()
        parsed = reminder_rule(when, now_local, template, cmd.holidays, cmd.ladder)
        draft = sched.ScheduleDraft(
            name=cmd.name or (template.name if template else ""),
            text=cmd.text if cmd.text is not None else (template.text if template else ""),
            rule=parsed.rule,
            urgent=cmd.urgent,
            receipt=cmd.receipt,
            template=template.key if template else None,
        )
        return draft, parsed.note

    # -------------------------------------------------- targets and scope

    async def check_targets(self, actor: Actor, to: To) -> list[TargetSpec]:
        """The recipients parsed and checked against the actor's scope (a dialogue's own step)."""
        async with refusals_audited(self.bot, actor, "schedule.create"), self.bot.db() as session:
            return await self._targets(session, actor, to)

    async def _targets(self, session: AsyncSession, actor: Actor, to: To) -> list[TargetSpec]:
        specs = await parse_targets(session, to) if isinstance(to, str) else list(to)
        await self._check_scope(session, actor, specs)
        return specs

    async def _check_scope(self, session: AsyncSession, actor: Actor, specs: Sequence[TargetSpec]) -> None:
        if actor.is_admin:
            return
        access = actor.access
        scope_units = await units(session, actor)
        for spec in specs:
            if spec.kind in ("all", "role"):
                raise Refused(
                    Refusal.EVERYONE,
                    "组织员不能按“全体”或角色推送，请按单位或人员指定；如需全员推送请联系管理员。",
                )
            if spec.kind == "group":
                raise Refused(
                    Refusal.GROUP,
                    f"组织员不能推送到群聊（{spec.label()}）：群成员无法按您管理的单位核对。"
                    "请按单位或人员指定；如需发到群里，请联系管理员创建。",
                )
            if spec.kind == "unit" and spec.value not in scope_units:
                raise Refused(Refusal.UNIT, f"单位 {spec.value} 不在您管理的范围（{access.unit_scope}）内。")
            if spec.kind == "user" and spec.value != actor.user_id:
                unit = await session.scalar(select(Staff.unit).where(Staff.user_id == spec.value))
                if unit not in scope_units:
                    raise Refused(Refusal.PERSON, f"{spec.value} 不在您管理的单位范围（{access.unit_scope}）内。")

    async def _owned(self, session: AsyncSession, actor: Actor, schedule_id: int) -> Schedule:
        schedule = await sched.get(session, schedule_id)
        if not actor.is_admin and schedule.created_by != actor.user_id:
            raise Refused(
                Refusal.NOT_OWNER,
                f"#{schedule.id} 由他人创建，组织员只能管理自己创建的提醒；如需处理请联系管理员。",
            )
        return schedule

    # -------------------------------------------------- reading

    async def listing(self, actor: Actor, include_done: bool = False) -> list[Listed]:
        """The schedules the actor manages, each with the next fire a list shows."""
        now = self._now()
        async with self.bot.db() as session:
            rows = await sched.list_schedules(session, include_done)
            if not actor.is_admin:
                rows = [r for r in rows if r.created_by == actor.user_id]
            return [Listed(r, await planner.shown_next(session, r, self.policy, now)) for r in rows]

    async def show(self, ref: ScheduleRef, history: int = 20) -> Detail:
        now = self._now()
        async with refusals_audited(self.bot, ref.actor, "schedule.show", ref.schedule_id), self.bot.db() as session:
            schedule = await self._owned(session, ref.actor, ref.schedule_id)
            fired = await planner.fired_keys(session, schedule, now)
            upcoming = (
                planner.plan_of(schedule, self.policy, now, fired) if schedule.status == "active" else Plan([], [])
            )
            return Detail(
                schedule,
                upcoming,
                fired,
                await sched.changes(session, schedule.id, limit=history),
                await firing.staff_names(session),
                now,
            )

    async def templates(self) -> list[TemplateState]:
        """The built-in templates, and which are in use already."""
        async with self.bot.db() as session:
            in_use = select(Schedule.template).where(
                Schedule.template.is_not(None), Schedule.status.in_(("active", "paused"))
            )
            enabled = set(await session.scalars(in_use.distinct()))
        return [TemplateState(t, t.key in enabled) for t in TEMPLATES]

    # -------------------------------------------------- changing

    async def pause(self, ref: ScheduleRef) -> Changed:
        now = self._now()
        async with (
            refusals_audited(self.bot, ref.actor, "schedule.pause", ref.schedule_id),
            self.bot.db() as session,
            session.begin(),
        ):
            schedule = await self._owned(session, ref.actor, ref.schedule_id)
            await sched.pause(session, schedule, ref.actor.user_id, now)
            ref.actor.audit(session, now, "schedule.pause", "ok", subject=str(schedule.id))
        return Changed(schedule, Plan([], []), now)

    async def resume(self, ref: ScheduleRef) -> Changed:
        """Fires that fell due while paused are not sent late."""
        now = self._now()
        async with (
            refusals_audited(self.bot, ref.actor, "schedule.resume", ref.schedule_id),
            self.bot.db() as session,
            session.begin(),
        ):
            schedule = await self._owned(session, ref.actor, ref.schedule_id)
            await sched.resume(session, schedule, ref.actor.user_id, now, self.policy)
            ref.actor.audit(session, now, "schedule.resume", "ok", subject=str(schedule.id))
        return Changed(schedule, self._upcoming(schedule, now), now)

    def _upcoming(self, schedule: Schedule, now: datetime) -> Plan:
        return plan(sched.rule_of(schedule), self.policy, now, 5, urgent=schedule.urgent, floor=now)

    async def removal(self, ref: ScheduleRef) -> Removal:
        """What removing would cancel; removes nothing."""
        async with refusals_audited(self.bot, ref.actor, "schedule.delete", ref.schedule_id), self.bot.db() as session:
            schedule = await self._owned(session, ref.actor, ref.schedule_id)
            return Removal(schedule, await sched.unsent_count(session, schedule))

    async def remove(self, ref: ScheduleRef) -> Removed:
        """Deleted (its history stays), and its queued, unsent pushes cancelled."""
        now = self._now()
        async with (
            refusals_audited(self.bot, ref.actor, "schedule.delete", ref.schedule_id),
            self.bot.db() as session,
            session.begin(),
        ):
            schedule = await self._owned(session, ref.actor, ref.schedule_id)
            cancelled = await sched.remove(session, schedule, ref.actor.user_id, now)
            ref.actor.audit(session, now, "schedule.delete", "ok", subject=str(schedule.id))
        return Removed(schedule, cancelled)

    async def run_now(self, ref: ScheduleRef) -> RanNow:
        """Send once now, outside the rule (the next planned fire is unchanged)."""
        now = self._now()
        async with (
            refusals_audited(self.bot, ref.actor, "schedule.run-now", ref.schedule_id),
            self.bot.db() as session,
            session.begin(),
        ):
            schedule = await self._owned(session, ref.actor, ref.schedule_id)
            result = await firing.run_now(
                session,
                schedule,
                now,
                self.policy,
                list(self.bot.channels),
                ref.actor.user_id,
                cadres=self.bot.config.cadres,
            )
            detail = f"{result.recipients} recipients" + (", merged" if result.merged else "")
            ref.actor.audit(session, now, "schedule.run-now", "ok", subject=str(schedule.id), detail=detail)
        return RanNow(schedule, result.recipients, result.merged)

    async def preview_edit(self, cmd: EditReminder) -> EditPreview:
        """The schedule as it would be after the edit; changes nothing."""
        now = self._now()
        async with refusals_audited(self.bot, cmd.actor, "schedule.edit", cmd.schedule_id), self.bot.db() as session:
            schedule = await self._owned(session, cmd.actor, cmd.schedule_id)
            draft = await self._edit_draft(session, cmd, schedule, now)
            draft.validate()
            return EditPreview(schedule, draft, await firing.staff_names(session), now - timedelta(seconds=1))

    async def edit(self, cmd: EditReminder) -> Edited:
        now = self._now()
        async with (
            refusals_audited(self.bot, cmd.actor, "schedule.edit", cmd.schedule_id),
            self.bot.db() as session,
            session.begin(),
        ):
            schedule = await self._owned(session, cmd.actor, cmd.schedule_id)
            draft = await self._edit_draft(session, cmd, schedule, now)
            changed = EditPreview(schedule, draft, {}, now).changed
            await sched.edit(
                session,
                schedule,
                cmd.actor.user_id,
                now,
                self.policy,
                name=draft.name,
                text=draft.text,
                rule=draft.rule,
                targets=draft.targets,
            )
            cmd.actor.audit(
                session, now, "schedule.edit", "ok", subject=str(schedule.id), detail=",".join(sorted(changed))
            )
        upcoming = self._upcoming(schedule, now) if schedule.status == "active" else Plan([], [])
        return Edited(schedule, changed, upcoming, now)

    async def _edit_draft(
        self, session: AsyncSession, cmd: EditReminder, schedule: Schedule, now: datetime
    ) -> sched.ScheduleDraft:
        rule = None
        if cmd.when is not None:
            old = sched.rule_of(schedule)
            if old.event_at:
                raise NoticeError(NoticeProblem.EVENT_FIXED)
            template = find_template(schedule.template) if schedule.template else None
            parsed = reminder_rule(cmd.when, now.astimezone(self.policy.tz), template)
            rule = replace(parsed.rule, shift=old.shift)
        targets = await self._targets(session, cmd.actor, cmd.to) if cmd.to is not None else None
        return sched.edit_draft(schedule, name=cmd.name, text=cmd.text, rule=rule, targets=targets)

    async def listing_page(
        self,
        actor: Actor,
        *,
        include_done: bool = False,
        offset: int = 0,
        limit: int = 50,
        due_before: datetime | None = None,
    ) -> tuple[list[Listed], int]:
        """One page of ``listing`` counted and cut in SQL (a console list of 10,000 schedules), and the
        total. ``due_before``: only active schedules whose next fire is before then, earliest first."""
        now = self._now()
        statuses = ["active"] if due_before is not None else ["active", "paused", *(["done"] if include_done else [])]
        ids = select(Schedule.id).where(Schedule.status.in_(statuses))
        if not actor.is_admin:
            ids = ids.where(Schedule.created_by == actor.user_id)
        if due_before is not None:
            ids = ids.where(Schedule.next_fire_at < due_before)
        order = (Schedule.next_fire_at, Schedule.id) if due_before is not None else (Schedule.id,)
        async with self.bot.db() as session:
            total = await session.scalar(select(func.count()).select_from(ids.subquery())) or 0
            # Ids first (read from the status index), then only that page's rows: sorting whole rows
            # to skip thousands of them is what made a late page slow.
            page = list(await session.scalars(ids.order_by(*order).offset(offset).limit(limit)))
            found = {r.id: r for r in await session.scalars(select(Schedule).where(Schedule.id.in_(page)))}
            rows = [found[i] for i in page if i in found]
            return [Listed(r, await planner.shown_next(session, r, self.policy, now)) for r in rows], total


class UnknownTemplate(sched.ScheduleError):
    def __init__(self, word: str) -> None:
        names = "、".join(t.name for t in TEMPLATES)
        super().__init__(f"没有模板“{word}”。可选：{names}")
        self.word = word


class RecordsTemplate(sched.ScheduleError):
    """学时预警 and 后备干部复核 make one schedule per checkpoint with recipients read from the
    records at each one: only ``record_alerts.enable`` creates them, whichever front end asks."""

    def __init__(self, name: str) -> None:
        super().__init__(f"“{name}”按干部记录提醒，请用 /提醒 启用 {name}（或 orgbot schedule add --template）开启。")
        self.name = name


class MissingTime(sched.ScheduleError):
    def __init__(self) -> None:
        super().__init__("请指定时间，如“6月20日前”或“每月最后一个工作日 16:00”。")
