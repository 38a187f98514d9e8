"""Creating, changing and describing schedules; every change leaves a row saying who, when, what."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduling.models import OutboxRow, Schedule, ScheduleChange
from bot.scheduling.rules import (
    WEEKDAYS,
    Fire,
    Plan,
    Policy,
    Rule,
    RuleError,
    describe_fire,
    describe_rule,
    describe_skipped,
    fire_years,
    next_fires,
    plan,
)
from bot.scheduling.rules import unknown_years as rule_unknown_years
from bot.scheduling.targets import TargetSpec, describe_targets, dump_targets, load_targets

KIND_LABELS = {"reminder": "一次性提醒", "recurring": "定期推送", "deadline": "截止提醒", "notice": "会议通知"}
STATUS_LABELS = {"active": "运行中", "paused": "已暂停", "done": "已结束", "deleted": "已删除"}


# A push sent this much after its planned moment says it is late (normal lateness is milliseconds).
LATE_NOTICE = timedelta(minutes=1)


class ScheduleError(ValueError):
    pass


class InvalidDraft(ScheduleError):
    """A schedule that cannot be saved as it stands: no name, no recipients, a broken rule."""


@dataclass
class ScheduleDraft:
    """Everything needed to create a schedule; built by the chat dialogue, the CLI or a template."""

    name: str
    text: str
    rule: Rule
    targets: list[TargetSpec] = field(default_factory=list)
    urgent: bool = False
    receipt: bool = False
    template: str | None = None

    @property
    def kind(self) -> str:
        if self.receipt or self.rule.event_at:
            return "notice"
        if self.rule.deadline:
            return "deadline"
        return "recurring" if self.rule.type != "once" else "reminder"

    def validate(self) -> None:
        if not self.name.strip():
            raise InvalidDraft("提醒名称不能为空")
        if len(self.name) > 128:
            raise InvalidDraft("提醒名称最长 128 个字")
        if not self.targets:
            raise InvalidDraft("请指定推送对象")
        try:
            self.rule.validate()
        except RuleError as exc:
            raise InvalidDraft(str(exc)) from exc


def rule_of(schedule: Schedule) -> Rule:
    return Rule.from_json(schedule.rule)


def preview(
    draft_rule: Rule,
    policy: Policy,
    now: datetime,
    urgent: bool = False,
    n: int = 5,
    *,
    floor: datetime | None = None,
    skip: Callable[[Fire], bool] | None = None,
) -> list[Fire]:
    """The next fires of a rule; ``floor`` (default: ``now``) is the moment no shift may go before."""
    return next_fires(draft_rule, policy, now, n, urgent=urgent, floor=now if floor is None else floor, skip=skip)


def preview_lines(
    rule: Rule,
    policy: Policy,
    now: datetime,
    urgent: bool = False,
    n: int = 5,
    *,
    floor: datetime | None = None,
    skip: Callable[[Fire], bool] | None = None,
) -> list[str]:
    return plan_lines(
        plan(rule, policy, now, n, urgent=urgent, floor=now if floor is None else floor, skip=skip), rule, policy
    )


def plan_lines(result: Plan, rule: Rule, policy: Policy) -> list[str]:
    """The numbered fires of a plan with their notes (moves, merges, skips, holidays not yet known)."""
    fires = result.fires
    if not fires:
        return ["（之后不会再发送）"]
    years = rule_unknown_years(rule, policy, fires)
    lines = [f"  {i}. {describe_fire(f, policy)}{_unknown_mark(f, policy, years)}" for i, f in enumerate(fires, 1)]
    for fire in fires:
        if fire.needs_choice:
            lines.append(
                f"  注意：{fire.at.astimezone(policy.tz):%m-%d} 是{fire.needs_choice}，之前的工作日已过。"
                "照常在这天发送还是顺延到下一个工作日？"
            )
    lines.extend(f"  {describe_skipped(f)}" for f in result.skipped)
    if years:
        ys = "、".join(str(y) for y in years)
        lines.append(
            f"  注意：{ys} 年的法定节假日尚未载入，暂按周末计算；官方安排公布后可在 [scheduler] extra_holidays / extra_workdays 中补充。"
        )
    return lines


def set_next(schedule: Schedule, fire: Fire | None, policy: Policy) -> None:
    """Store the next fire and the configuration it was planned under (a schedule with none is done)."""
    schedule.next_fire_at = fire.at if fire else None
    schedule.next_stage = fire.stage if fire else ""
    schedule.plan_key = policy.key
    if fire is None and schedule.status == "active":
        schedule.status = "done"


class NeedsChoice(ScheduleError):
    """A typed date falls on a non-workday whose earlier workday is past: 照常 or 顺延, the person says."""

    def __init__(self, fire: Fire, policy: Policy) -> None:
        day = fire.at.astimezone(policy.tz)
        super().__init__(
            f"{day:%m-%d} 是{fire.needs_choice}，提前到之前的工作日已来不及。照常在这天发送，还是顺延到下一个工作日？"
        )
        self.fire = fire


def _unknown_mark(fire: Fire, policy: Policy, unknown: list[int]) -> str:
    """Flag, on the line itself, a date worked out without that year's statutory holidays."""
    years = sorted(fire_years(fire, policy).intersection(unknown))
    if not years:
        return ""
    return f"〔{'、'.join(str(y) for y in years)} 年节假日未载入，按周末推算〕"


async def record(
    session: AsyncSession, schedule: Schedule, actor: str, action: str, now: datetime, **detail: Any
) -> None:
    session.add(
        ScheduleChange(
            schedule_id=schedule.id,
            at=now,
            actor=actor,
            action=action,
            detail=json.dumps(detail, ensure_ascii=False, default=str),
        )
    )


def _snapshot(schedule: Schedule) -> dict[str, Any]:
    return {
        "name": schedule.name,
        "text": schedule.text,
        "rule": json.loads(schedule.rule),
        "targets": json.loads(schedule.targets),
        "urgent": schedule.urgent,
        "receipt": schedule.receipt,
        "status": schedule.status,
    }


async def create(session: AsyncSession, draft: ScheduleDraft, actor: str, now: datetime, policy: Policy) -> Schedule:
    draft.validate()
    fires = next_fires(draft.rule, policy, now, 1, urgent=draft.urgent, floor=now)
    if not fires:
        raise ScheduleError("按这个时间规则，之后不会再发送（时间已过去？）")
    if fires[0].needs_choice:
        raise NeedsChoice(fires[0], policy)
    schedule = Schedule(
        name=draft.name.strip(),
        kind=draft.kind,
        text=draft.text.strip(),
        rule=draft.rule.to_json(),
        targets=dump_targets(draft.targets),
        template=draft.template,
        status="active",
        urgent=draft.urgent,
        receipt=draft.receipt,
        next_fire_at=fires[0].at,
        next_stage=fires[0].stage,
        plan_key=policy.key,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(schedule)
    await session.flush()
    await record(session, schedule, actor, "create", now, **_snapshot(schedule))
    return schedule


async def get(session: AsyncSession, schedule_id: int) -> Schedule:
    schedule = await session.get(Schedule, schedule_id)
    if schedule is None or schedule.status == "deleted":
        raise ScheduleError(f"没有编号为 {schedule_id} 的提醒。发送 /提醒 列表 查看。")
    return schedule


def parse_id(text: str) -> int:
    raw = text.strip().lstrip("#＃").strip()
    if not raw.isdigit():
        raise ScheduleError(f"“{text}”不是提醒编号；编号是 /提醒 列表 中 # 后面的数字。")
    return int(raw)


async def list_schedules(session: AsyncSession, include_done: bool = False) -> list[Schedule]:
    statuses = ["active", "paused", *(["done"] if include_done else [])]
    rows = await session.scalars(select(Schedule).where(Schedule.status.in_(statuses)).order_by(Schedule.id))
    return list(rows)


async def pause(session: AsyncSession, schedule: Schedule, actor: str, now: datetime) -> None:
    if schedule.status != "active":
        raise ScheduleError(f"#{schedule.id} 当前{STATUS_LABELS.get(schedule.status, schedule.status)}，不能暂停。")
    schedule.status = "paused"
    schedule.updated_at = now
    await record(session, schedule, actor, "pause", now)


async def resume(session: AsyncSession, schedule: Schedule, actor: str, now: datetime, policy: Policy) -> None:
    """Fires that fell due while paused are skipped on purpose: pausing means "not these"."""
    if schedule.status != "paused":
        raise ScheduleError(f"#{schedule.id} 当前{STATUS_LABELS.get(schedule.status, schedule.status)}，无需恢复。")
    fires = next_fires(rule_of(schedule), policy, now, 1, urgent=schedule.urgent, floor=now)
    schedule.status = "active"
    set_next(schedule, fires[0] if fires else None, policy)
    schedule.updated_at = now
    await record(session, schedule, actor, "resume", now, next_fire_at=schedule.next_fire_at)


async def unsent_count(session: AsyncSession, schedule: Schedule) -> int:
    """Queued pushes of the schedule not yet sent: what a removal would cancel."""
    return (
        await session.scalar(
            select(func.count())
            .select_from(OutboxRow)
            .where(OutboxRow.schedule_id == schedule.id, OutboxRow.status.in_(["pending", "failed"]))
        )
        or 0
    )


async def remove(session: AsyncSession, schedule: Schedule, actor: str, now: datetime) -> int:
    """Mark deleted (the history stays) and cancel its queued, unsent pushes; returns how many."""
    schedule.status = "deleted"
    schedule.next_fire_at = None
    schedule.updated_at = now
    result = cast(
        CursorResult[Any],
        await session.execute(
            update(OutboxRow)
            .where(OutboxRow.schedule_id == schedule.id, OutboxRow.status.in_(["pending", "failed"]))
            .values(status="cancelled")
        ),
    )
    await record(session, schedule, actor, "delete", now, cancelled=result.rowcount or 0)
    return result.rowcount or 0


async def edit(
    session: AsyncSession,
    schedule: Schedule,
    actor: str,
    now: datetime,
    policy: Policy,
    *,
    name: str | None = None,
    text: str | None = None,
    rule: Rule | None = None,
    targets: list[TargetSpec] | None = None,
    urgent: bool | None = None,
) -> None:
    before = _snapshot(schedule)
    draft = edit_draft(schedule, name=name, text=text, rule=rule, targets=targets, urgent=urgent)
    draft.validate()
    schedule.name, schedule.text = draft.name.strip(), draft.text.strip()
    schedule.rule, schedule.targets, schedule.urgent = draft.rule.to_json(), dump_targets(draft.targets), draft.urgent
    schedule.kind = draft.kind
    if schedule.status in ("active", "done"):
        fires = next_fires(draft.rule, policy, now, 1, urgent=draft.urgent, floor=now)
        schedule.status = "active"
        set_next(schedule, fires[0] if fires else None, policy)
    schedule.updated_at = now
    after = _snapshot(schedule)
    await record(session, schedule, actor, "edit", now, **{k: v for k, v in after.items() if before.get(k) != v})


def edit_draft(
    schedule: Schedule,
    *,
    name: str | None = None,
    text: str | None = None,
    rule: Rule | None = None,
    targets: list[TargetSpec] | None = None,
    urgent: bool | None = None,
) -> ScheduleDraft:
    """The schedule as it would be after an edit (for the preview and for :func:`edit`)."""
    return ScheduleDraft(
        name=name if name is not None else schedule.name,
        text=text if text is not None else schedule.text,
        rule=rule or rule_of(schedule),
        targets=targets if targets is not None else load_targets(schedule.targets),
        urgent=schedule.urgent if urgent is None else urgent,
        receipt=schedule.receipt,
        template=schedule.template,
    )


def edit_preview(
    schedule: Schedule, draft: ScheduleDraft, policy: Policy, now: datetime, names: dict[str, str] | None = None
) -> list[str]:
    """What an edit changes, said before it is applied — including a change of kind (a one-off
    deadline becoming a monthly one) — and the next 5 fires it would then have."""
    draft.validate()
    before, after = rule_of(schedule), draft.rule
    lines = [f"将修改 #{schedule.id} {schedule.name}（{KIND_LABELS.get(schedule.kind, schedule.kind)}）："]
    if draft.name.strip() != schedule.name:
        lines.append(f"  标题：{schedule.name} → {draft.name.strip()}")
    if draft.text.strip() != schedule.text:
        lines.append(f"  内容：{schedule.text or '（无）'} → {draft.text.strip() or '（无）'}")
    if after != before:
        lines.append(f"  规则：{describe_rule(before, policy)} → {describe_rule(after, policy)}")
    if dump_targets(draft.targets) != schedule.targets:
        old_targets = describe_targets(load_targets(schedule.targets), names)
        lines.append(f"  对象：{old_targets} → {describe_targets(draft.targets, names)}")
    if len(lines) == 1:
        lines.append("  （没有变化）")
    if draft.kind != schedule.kind or (before.type == "once") != (after.type == "once"):
        was = "一次性" if before.type == "once" else "重复"
        will = "一次性" if after.type == "once" else "重复"
        lines.append(
            f"  注意：类型将由{KIND_LABELS.get(schedule.kind, schedule.kind)}（{was}）变为"
            f"{KIND_LABELS.get(draft.kind, draft.kind)}（{will}）。"
        )
    if schedule.status == "paused":
        lines.append("仍为暂停状态：恢复前不会发送。")
    else:
        lines.append("修改后接下来 5 次发送：")
        lines.extend(preview_lines(after, policy, now, draft.urgent))
    return lines


async def changes(session: AsyncSession, schedule_id: int, limit: int = 20) -> list[ScheduleChange]:
    rows = await session.scalars(
        select(ScheduleChange)
        .where(ScheduleChange.schedule_id == schedule_id)
        .order_by(ScheduleChange.id.desc())
        .limit(limit)
    )
    return list(rows)


def _local_text(dt: datetime, policy: Policy, with_time: bool = True) -> str:
    local = dt.astimezone(policy.tz)
    base = f"{local.year}年{local.month}月{local.day}日（周{WEEKDAYS[local.weekday()]}）"
    return base + (f" {local:%H:%M}" if with_time else "")


def compose(schedule: Schedule, fire: Fire, policy: Policy, sent_at: datetime) -> str:
    """The push text for one fire, with the deadline countdown computed from the day it is sent;
    a fire sent late (the service was down within the grace period) says so."""
    body = _compose(schedule, fire, policy, sent_at)
    late = sent_at - fire.at
    if fire.stage != "manual" and late >= LATE_NOTICE:
        planned = fire.at.astimezone(policy.tz)
        body += f"\n（本条原定 {_local_text(planned, policy)} 发送，因服务中断晚发 {_late_text(late)}。）"
    return body


def _late_text(late: timedelta) -> str:
    minutes = int(late.total_seconds() // 60)
    if minutes >= 60:
        return f"{minutes // 60} 小时 {minutes % 60} 分钟" if minutes % 60 else f"{minutes // 60} 小时"
    return f"{minutes} 分钟"


def _compose(schedule: Schedule, fire: Fire, policy: Policy, sent_at: datetime) -> str:
    rule = rule_of(schedule)
    text = schedule.text.strip()
    if fire.stage == "rereminder":
        when = ""
        if rule.event_at:
            event = datetime.fromisoformat(rule.event_at).replace(tzinfo=policy.tz)
            when = f"（会议时间：{_local_text(event, policy)}）"
        return f"【回执提醒】您还没有确认《{schedule.name}》{when}。\n请回复“收到”确认（或“收到 {schedule.id}”）。"
    if schedule.receipt or rule.event_at:
        lines = [f"【会议通知】{schedule.name}"]
        if rule.event_at:
            event = datetime.fromisoformat(rule.event_at).replace(tzinfo=policy.tz)
            lines.append(f"会议时间：{_local_text(event, policy)}")
        if text:
            lines.append(text)
        if schedule.receipt:
            lines.append(f"请回复“收到”确认（如有多条通知，可回复“收到 {schedule.id}”）。")
        return "\n".join(lines)
    if rule.deadline and fire.occurrence is not None:
        days = (fire.occurrence.astimezone(policy.tz).date() - sent_at.astimezone(policy.tz).date()).days
        left = "今天截止" if days == 0 else (f"还有 {days} 天" if days > 0 else f"已逾期 {-days} 天")
        lines = [f"【截止提醒】{schedule.name}", f"截止日期：{_local_text(fire.occurrence, policy, False)}，{left}。"]
        if text:
            lines.append(text)
        return "\n".join(lines)
    return f"【提醒】{schedule.name}" + (f"\n{text}" if text else "")


def summary_lines(
    schedule: Schedule,
    policy: Policy,
    now: datetime,
    names: dict[str, str] | None = None,
    fired: set[str] | None = None,
) -> list[str]:
    """``fired``: keys the schedule already sent (``planner.fired_keys``), left out of the preview."""
    rule = rule_of(schedule)
    lines = [
        f"#{schedule.id} {schedule.name}（{KIND_LABELS.get(schedule.kind, schedule.kind)}，{STATUS_LABELS.get(schedule.status, schedule.status)}）",
        f"规则：{describe_rule(rule, policy)}" + ("，紧急（夜间也发送）" if schedule.urgent else ""),
        f"对象：{describe_targets(load_targets(schedule.targets), names)}",
    ]
    if schedule.text:
        lines.append(f"内容：{schedule.text}")
    if schedule.receipt:
        lines.append(f"需要回执：是（查看：/回执 {schedule.id}）")
    if schedule.status == "active":
        lines.append("接下来 5 次发送：")
        done = fired or set()
        lines.extend(
            preview_lines(
                rule, policy, now, schedule.urgent, floor=schedule.updated_at, skip=lambda f: bool(f.keys & done)
            )
        )
    elif schedule.status == "paused":
        lines.append("已暂停：恢复前不会发送。")
    return lines
