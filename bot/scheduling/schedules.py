"""Creating and changing schedules (how they read: wording.py); every change leaves a row saying who, when, what."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduling.models import OutboxRow, Schedule, ScheduleChange
from bot.scheduling.rules import (
    Fire,
    Policy,
    Rule,
    RuleError,
    next_fires,
)
from bot.scheduling.targets import TargetSpec, dump_targets, load_targets

KIND_LABELS = {"reminder": "一次性提醒", "recurring": "定期推送", "deadline": "截止提醒", "notice": "会议通知"}
STATUS_LABELS = {"active": "运行中", "paused": "已暂停", "done": "已结束", "deleted": "已删除"}


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


async def changes(session: AsyncSession, schedule_id: int, limit: int = 20) -> list[ScheduleChange]:
    rows = await session.scalars(
        select(ScheduleChange)
        .where(ScheduleChange.schedule_id == schedule_id)
        .order_by(ScheduleChange.id.desc())
        .limit(limit)
    )
    return list(rows)
