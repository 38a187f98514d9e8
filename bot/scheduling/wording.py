"""How schedules read, the same in chat, the CLI and the console: kinds, states, the next fires
with their notes (moved off a holiday, merged, skipped, a year's holidays not yet known), a
summary and what an edit changes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.scheduling.models import Schedule
from bot.scheduling.rules import (
    Fire,
    Plan,
    Policy,
    Rule,
    describe_fire,
    describe_rule,
    describe_skipped,
    fire_years,
    plan,
)
from bot.scheduling.rules import unknown_years as rule_unknown_years
from bot.scheduling.schedules import KIND_LABELS, STATUS_LABELS, ScheduleDraft, rule_of
from bot.scheduling.targets import describe_targets, dump_targets, load_targets


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


def _unknown_mark(fire: Fire, policy: Policy, unknown: list[int]) -> str:
    """Flag, on the line itself, a date worked out without that year's statutory holidays."""
    years = sorted(fire_years(fire, policy).intersection(unknown))
    if not years:
        return ""
    return f"〔{'、'.join(str(y) for y in years)} 年节假日未载入，按周末推算〕"


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
