"""Reminders from the records as schedules: 学时预警 and 后备干部复核 checkpoints.

Each checkpoint (6月30日, 9月30日…) is one yearly schedule with the template ``xueshi`` or
``houbei``, so it gets the same workday shifts, quiet hours, leader lease and missed-fire
reports as every other push. When it fires, ``expand`` asks ``bot/cadres/alerts.py`` what is
due and queues one push per person. A push's key is (kind, checkpoint day, part, person), not
the fire instant: a 立即发送 and the planned fire on the same day, a second instance, or a
restart half-way all find the same keys, and a person gets each checkpoint's message once.
Every push queued is audited like a lookup: one row per cadre it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import Access
from bot.actor import Actor
from bot.audit_trail import AuditRecord, write
from bot.cadres import alert_text, alerts
from bot.cadres.config import CadresConfig
from bot.cadres.units import unit_names
from bot.roles import Role
from bot.scheduling.demo import DEMO_ACTOR
from bot.scheduling.models import OutboxRow, Schedule, ScheduleFire
from bot.scheduling.outbox import PushItem, enqueue
from bot.scheduling.phrases import AskBack, parse_phrase
from bot.scheduling.rules import Fire, Policy, Rule, next_fires
from bot.scheduling.schedules import ScheduleDraft, ScheduleError, create, get, rule_of
from bot.scheduling.targets import TargetSpec, expand
from bot.scheduling.templates import TEMPLATES, Template

if TYPE_CHECKING:
    from bot.app import OrgBot

SPLIT_RE = re.compile(r"[、，,；;]+")
ACTOR = "scheduler"


def is_record_alert(schedule: Schedule) -> bool:
    return schedule.template in alerts.KINDS


@dataclass(frozen=True)
class Message:
    user_id: str
    part: str  # personal / summary / admin / stale: one of each per person per checkpoint
    text: str
    names: tuple[str, ...] = ()  # cadre IDs the text names, for the audit trail


def checkpoint_of(fire: Fire, now: datetime, policy: Policy) -> date:
    """The checkpoint a fire stands for: the configured day (even when a holiday moved the push),
    or today for a 立即发送."""
    if fire.stage != "manual" and fire.occurrence is not None:
        return fire.occurrence.astimezone(policy.tz).date()
    return now.astimezone(policy.tz).date()


async def previous_checkpoint(
    session: AsyncSession, kind: str, day: date, at: datetime, policy: Policy
) -> datetime | None:
    """The last time a checkpoint of this kind went out (planned or 立即发送) before ``day``'s: a
    立即发送 later on the checkpoint's day is the same checkpoint, not one after it."""
    before = min(at, datetime.combine(day, time.min, tzinfo=policy.tz))
    return await session.scalar(
        select(func.max(ScheduleFire.fire_at))
        .join(Schedule, Schedule.id == ScheduleFire.schedule_id)
        .where(Schedule.template == kind, ScheduleFire.fire_at < before, ScheduleFire.outcome == "sent")
    )


async def training_messages(
    session: AsyncSession, schedule: Schedule, day: date, config: CadresConfig, policy: Policy, since: datetime | None
) -> list[Message]:
    plan = await alerts.training_plan(session, day, config, since)
    if plan.stale is not None:
        text = alert_text.stale_notice(plan.stale, policy.tz, schedule.id)
        return [Message(a, "stale", text) for a in plan.admins]
    names = await unit_names(session)
    staff_names = {p.user_id: p.name for p in await alerts.people(session)}
    out = [
        Message(
            w.user_id,
            "personal",
            alert_text.personal_warning(w.standing, staff_names.get(w.user_id) or w.standing.name),
            (w.standing.cadre_id,),
        )
        for w in plan.personal
    ]
    shown = config.alert_behind_names
    for s in plan.summaries:
        text = alert_text.organizer_summary(s, day, names, shown)
        out.append(Message(s.user_id, "summary", text, tuple(alerts.named_in(s.behind[:shown]))))
    figures = alert_text.admin_figures(plan.figures, day, policy.tz)
    out.extend(Message(a, "admin", figures) for a in plan.admins)
    return out


async def reserve_messages(session: AsyncSession, day: date, config: CadresConfig) -> list[Message]:
    plan = await alerts.reserve_plan(session, day, config)
    names = await unit_names(session)
    out = [
        Message(
            s.user_id,
            "summary",
            alert_text.reserve_summary(s, day, names, config.reserve_review_years, config.reserve_stalled_days),
            tuple(alerts.named_in(s.findings)),
        )
        for s in plan.summaries
    ]
    figures = alert_text.reserve_figures(plan)
    out.extend(Message(a, "admin", figures) for a in plan.admins)
    return out


async def messages_for(
    session: AsyncSession, schedule: Schedule, fire: Fire, now: datetime, policy: Policy, config: CadresConfig
) -> tuple[date, list[Message]]:
    day = checkpoint_of(fire, now, policy)
    as_of = now.astimezone(policy.tz).date()
    if schedule.template == alerts.TRAINING:
        since = await previous_checkpoint(session, alerts.TRAINING, day, fire.at, policy)
        return day, await training_messages(session, schedule, as_of, config, policy, since)
    return day, await reserve_messages(session, as_of, config)


def push_key(kind: str, day: date, part: str, user_id: str) -> str:
    return f"rec:{kind}:{day.isoformat()}:{part}:{user_id}"[:191]


async def expand_alert(
    session: AsyncSession,
    schedule: Schedule,
    fire: Fire,
    now: datetime,
    policy: Policy,
    channels: list[str],
    config: CadresConfig,
) -> int:
    """Queue this checkpoint's pushes; a push already queued for the checkpoint is not queued or audited again."""
    kind = schedule.template or ""
    day, messages = await messages_for(session, schedule, fire, now, policy, config)
    keyed = {push_key(kind, day, m.part, m.user_id): m for m in messages}
    if keyed:
        done = set(await session.scalars(select(OutboxRow.idempotency_key).where(OutboxRow.idempotency_key.in_(keyed))))
        keyed = {k: m for k, m in keyed.items() if k not in done}
    users = list(dict.fromkeys(m.user_id for m in keyed.values()))
    reach = {r.person: r for r in await expand(session, [TargetSpec("user", u) for u in users], channels)}
    items: list[PushItem] = []
    for key, m in keyed.items():
        r = reach.get(m.user_id)
        if r is None:
            continue
        items.append(
            PushItem(
                key=key, target=r.target, text=m.text, fire_at=fire.at, recipient=r.person, schedule_id=schedule.id
            )
        )
        for subject in m.names or (None,):
            write(
                session,
                now,
                AuditRecord(
                    actor=ACTOR,
                    actor_role="system",
                    channel=r.target.channel,
                    action=f"cadre.alert.{kind}",
                    outcome="ok",
                    query=f"→{m.user_id}",
                    subject=subject,
                    detail=f"{m.part} #{schedule.id} {day.isoformat()}",
                ),
            )
    await enqueue(session, items, now)
    return len(items)


# --- turning a template on, and what the next checkpoint would do ------------------------------


def checkpoint_rules(text: str, now: datetime) -> list[tuple[str, Rule]]:
    """``6月30日、9月30日、11月15日 10:00`` → one yearly rule per checkpoint (09:00 unless a time is given)."""
    out: list[tuple[str, Rule]] = []
    for raw in (p.strip() for p in SPLIT_RE.split(text)):
        if not raw:
            continue
        phrase = raw.removeprefix("每年").strip()
        if not re.search(r"\d{1,2}\s*[:：点时]", phrase):
            phrase += " 09:00"
        parsed = parse_phrase("每年" + phrase, now)
        if isinstance(parsed, AskBack) or parsed.rule.type != "calendar" or len(parsed.rule.months) != 1:
            raise ScheduleError(f"检查点“{raw}”无法识别，请写成“6月30日”或“11月15日 10:00”，多个用顿号分开。")
        out.append((raw, parsed.rule))
    if not out:
        raise ScheduleError("请给出检查点日期，如“6月30日、9月30日、11月15日”。")
    return out


@dataclass(frozen=True)
class Enabled:
    created: list[Schedule]
    skipped: list[str]  # checkpoints of this kind already on


async def enable(
    session: AsyncSession, template: Template, when: str, actor: Actor, now: datetime, policy: Policy
) -> Enabled:
    """One schedule per checkpoint; a checkpoint of this kind that is already on is left as it is.

    Admins only: the messages draw on every cadre's records, whoever turns them on.
    """
    if not actor.is_admin:
        raise ScheduleError(f"“{template.name}”按全部门的干部记录发送，只有管理员可以启用。")
    existing = {
        rule_of(s).to_json()
        for s in await session.scalars(
            select(Schedule).where(Schedule.template == template.key, Schedule.status.in_(["active", "paused"]))
        )
    }
    targets = (
        [TargetSpec("all")]
        if template.key == alerts.TRAINING
        else [TargetSpec("role", "organizer"), TargetSpec("role", "admin")]
    )
    created: list[Schedule] = []
    skipped: list[str] = []
    for label, rule in checkpoint_rules(when or template.default_when, now.astimezone(policy.tz)):
        if rule.to_json() in existing:
            skipped.append(label)
            continue
        draft = ScheduleDraft(f"{template.name}（{label}）", template.text, rule, targets, template=template.key)
        created.append(await create(session, draft, actor.user_id, now, policy))
        existing.add(rule.to_json())
    if created:
        detail = " ".join(f"#{s.id}" for s in created)
        actor.audit(session, now, "alerts.enable", "ok", subject=template.key, detail=detail)
    return Enabled(created, skipped)


@dataclass(frozen=True)
class CheckpointPreview:
    """What the next checkpoint would send if the records stay as they are (one of the plans is set)."""

    schedule_id: int
    name: str
    at: datetime | None
    training: alerts.TrainingPlan | None = None
    reserve: alerts.ReservePlan | None = None

    @property
    def recipients(self) -> int:
        plan = self.training or self.reserve
        return plan.recipients if plan is not None else 0


async def preview(
    session: AsyncSession, schedule_id: int, actor: Actor, now: datetime, policy: Policy, config: CadresConfig
) -> CheckpointPreview:
    """Nothing is queued. Organizers and admins may look; which names they then see is the
    wording's business (only cadres they may look up)."""
    if not actor.may(Role.ORGANIZER):
        raise ScheduleError("预览需要组织员或管理员权限。")
    schedule = await get(session, schedule_id)
    if not is_record_alert(schedule):
        raise ScheduleError(f"#{schedule.id} 不是学时预警或后备干部复核；其发送时间见“查看 {schedule.id}”。")
    fires = next_fires(rule_of(schedule), policy, now, 1, urgent=schedule.urgent, floor=now)
    if not fires:
        return CheckpointPreview(schedule.id, schedule.name, None)
    at = fires[0].at
    day = at.astimezone(policy.tz).date()
    if schedule.template == alerts.TRAINING:
        since = await previous_checkpoint(session, alerts.TRAINING, day, at, policy)
        plan = await alerts.training_plan(session, day, config, since)
        return CheckpointPreview(schedule.id, schedule.name, at, training=plan)
    reserve = await alerts.reserve_plan(session, day, config)
    return CheckpointPreview(schedule.id, schedule.name, at, reserve=reserve)


async def behind_list(
    session: AsyncSession, actor: Actor, now: datetime, policy: Policy, config: CadresConfig, *, export: bool = False
) -> list[alerts.Standing]:
    """The full list behind a 学时 summary (明细, the CLI's list or an export): only cadres the actor may
    look up, and each one named is audited like a lookup, in the caller's transaction."""
    if not actor.may(Role.ORGANIZER):
        raise ScheduleError("学时进度落后名单需要组织员或管理员权限。")
    day = now.astimezone(policy.tz).date()
    rows = await alerts.behind_in_scope(session, actor.access, day, config)
    action = "cadre.alert.export" if export else "cadre.alert.detail"
    scope = f"单位 {actor.access.unit_scope}" if actor.access.unit_scope else "管理范围"
    for cadre_id in alerts.named_in(rows):
        actor.audit(session, now, action, "ok", query=scope, subject=cadre_id)
    return rows


async def seed_demo(bot: OrgBot) -> None:
    """The demo's 学时预警 and 后备干部复核 at their default checkpoints; running it again adds nothing."""
    policy = Policy.from_config(bot.config)
    now = bot.clock.now()
    async with bot.db() as session, session.begin():
        for template in TEMPLATES:
            if template.from_records:
                demo = Actor(Access(DEMO_ACTOR, Role.ADMIN), "demo")
                await enable(session, template, template.default_when, demo, now, policy)
