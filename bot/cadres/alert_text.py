"""How reminders from the records read: one wording for the pushes, the preview and 明细."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.access import Access
from bot.cadres.alerts import (
    NO_MEASURE,
    REVIEW,
    STALLED,
    DepartmentFigures,
    OrganizerSummary,
    ReserveFinding,
    ReservePlan,
    ReserveSummary,
    Staleness,
    Standing,
    TrainingPlan,
)
from bot.cadres.permissions import can_see

MUTE_HINT = "如不需要此类个人提醒，可回复“/提醒 免打扰 学时”（恢复：/提醒 恢复提醒 学时）。"
NEXT_STEPS = {
    REVIEW: "组织复核，提出保留、调整或退出意见",
    STALLED: "推进考察，形成考察结论",
    NO_MEASURE: "制定并落实本年度培养措施（挂职、轮岗、调训等）",
}
REASON_TITLES = {REVIEW: "到期需复核", STALLED: "考察停滞", NO_MEASURE: "本年度无培养措施"}


def day_text(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def when_text(at: datetime | None, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at else "从未导入"


def _h(value: float) -> str:
    return f"{value:g}"


def _progress(s: Standing) -> str:
    if s.window_start is not None:
        return (
            f"在 {s.window_start}—{s.year} 年五年累计完成 {_h(s.done)} 学时，要求 {_h(s.target)} 学时（县处级及以上）"
        )
    return f"今年已完成 {_h(s.done)} 学时，全年要求 {_h(s.target)} 学时（乡科级及以下）"


def personal_warning(s: Standing, name: str) -> str:
    lines = [
        f"【学时预警】{name}，您好：",
        f"截至{day_text(s.day)}，您{_progress(s)}，还差 {_h(s.missing)} 学时；按进度此时应达到 {_h(s.expected)} 学时。",
        f"距年底还有 {s.days_left} 天，请尽早报名参加培训（脱产培训、网络培训、专题培训均可计入）。",
    ]
    if s.rank_changed_on is not None:
        lines.append(f"您的职级于{day_text(s.rank_changed_on)}调整为{s.rank}，本年度要求按任职时间分段计算。")
    lines.append(MUTE_HINT)
    return "\n".join(lines)


def _standing_line(i: int, s: Standing) -> str:
    scope = "五年累计" if s.window_start is not None else "本年"
    return f"  {i}. {s.name}（{s.cadre_id}）{scope} {_h(s.done)}/{_h(s.target)} 学时，差 {_h(s.missing)}"


def _scope_label(code: str, unit_names: dict[str, str]) -> str:
    return f"{unit_names.get(code, code)}（{code}）及下级单位"


def organizer_summary(summary: OrganizerSummary, day: date, unit_names: dict[str, str], shown: int) -> str:
    lines = [
        f"【学时预警·汇总】{_scope_label(summary.scope_unit, unit_names)}",
        f"截至{day_text(day)}：共 {summary.total} 名干部，进度正常 {summary.on_track} 名，落后 {len(summary.behind)} 名。",
    ]
    if summary.behind:
        lines.append("落后最多的：")
        lines.extend(_standing_line(i, s) for i, s in enumerate(summary.behind[:shown], 1))
        if len(summary.behind) > shown:
            lines.append(f"  ……另有 {len(summary.behind) - shown} 名")
        lines.append("回复“明细”查看全部落后人员名单。")
    else:
        lines.append("全部干部学时进度正常。")
    return "\n".join(lines)


def admin_figures(f: DepartmentFigures, day: date, tz: ZoneInfo) -> str:
    return "\n".join(
        [
            f"【学时预警·全局】截至{day_text(day)}，全部门 {f.total} 名干部，落后进度 {f.behind} 名"
            f"（县处级及以上 {f.behind_division} 名，乡科级及以下 {f.behind_section} 名）。",
            f"已向 {f.warned} 名干部发送个人提醒；{f.muted} 人设置了免打扰；"
            f"{f.unreachable} 名落后干部未关联账号，未能提醒。",
            f"最近一次培训记录导入：{when_text(f.last_import, tz)}。",
            "回复“明细”查看全部落后人员名单。",
        ]
    )


def stale_notice(stale: Staleness, tz: ZoneInfo, schedule_id: int) -> str:
    since = (
        f"自上次检查点（{when_text(stale.previous_checkpoint, tz)}）以来未更新"
        if stale.previous_checkpoint
        else "尚未导入"
    )
    return (
        f"【学时预警未发送】培训记录{since}，最近一次导入：{when_text(stale.last_import, tz)}。\n"
        "为免按旧数据提醒，本次没有向干部和组织员发送任何消息。"
        f"请导入最新培训记录（orgbot data import）后，发送 /提醒 立即发送 {schedule_id} 补发。"
    )


def _finding_line(f: ReserveFinding) -> str:
    if f.reason == STALLED:
        detail = f"{f.level}，“{f.stage}”自 {f.since.isoformat()} 起"
    else:
        detail = f"{f.level}，{f.since.isoformat()} 入库"
    return f"  · {f.name}（{f.cadre_id}，{detail}）— 下一步：{NEXT_STEPS[f.reason]}"


def reserve_summary(summary: ReserveSummary, day: date, unit_names: dict[str, str], years: int, days: int) -> str:
    lines = [f"【后备干部提醒】{_scope_label(summary.scope_unit, unit_names)}，截至{day_text(day)}："]
    titles = {
        REVIEW: f"入库满 {years} 年，需复核",
        STALLED: f"考察停滞超过 {days} 天",
        NO_MEASURE: "本年度没有培养措施记录",
    }
    for reason in (REVIEW, STALLED, NO_MEASURE):
        items = [f for f in summary.findings if f.reason == reason]
        if items:
            lines.append(f"{titles[reason]}（{len(items)} 人次）：")
            lines.extend(_finding_line(f) for f in items)
    return "\n".join(lines)


def reserve_figures(plan: ReservePlan) -> str:
    parts = "，".join(f"{REASON_TITLES[r]} {n} 人次" for r, n in plan.counts.items())
    return (
        f"【后备干部提醒·全局】截至{day_text(plan.day)}，后备干部库在库 {plan.pool} 人次：{parts}。"
        f"已向 {len(plan.summaries)} 位组织员发送本单位名单。"
    )


def behind_list(rows: Sequence[Standing], day: date) -> str:
    if not rows:
        return f"截至{day_text(day)}，您管理范围内没有学时进度落后的干部。"
    lines = [f"截至{day_text(day)}，您管理范围内学时进度落后的干部共 {len(rows)} 名："]
    lines.extend(_standing_line(i, s) for i, s in enumerate(rows, 1))
    return "\n".join(lines)


EXPORT_HEADERS = ("干部编号", "姓名", "单位编码", "职级", "口径", "已完成学时", "要求学时", "按进度应达", "还差学时")


def export_rows(rows: Sequence[Standing]) -> list[list[object]]:
    return [
        [
            s.cadre_id,
            s.name,
            s.unit_code,
            s.rank,
            f"{s.window_start}—{s.year} 五年累计" if s.window_start is not None else f"{s.year} 年度",
            s.done,
            s.target,
            s.expected,
            s.missing,
        ]
        for s in rows
    ]


def _training_preview(plan: TrainingPlan, viewer: Access, tz: ZoneInfo) -> list[str]:
    """Counts for everyone, names only of cadres the viewer may look up."""
    if plan.stale is not None:
        return [
            f"  培训记录未更新（最近一次导入：{when_text(plan.stale.last_import, tz)}）：",
            f"  届时不会提醒干部和组织员，只告知 {len(plan.admins)} 位管理员数据未更新。",
        ]
    visible: Callable[[Standing], bool] = lambda s: can_see(viewer, s.cadre_id, s.unit_code)  # noqa: E731
    names = [f"{w.standing.name}（差 {_h(w.standing.missing)}）" for w in plan.personal if visible(w.standing)]
    lines = [
        f"  个人提醒：{len(plan.personal)} 人" + (f"（{len(plan.muted)} 人已设免打扰，不发送）" if plan.muted else ""),
    ]
    if names:
        lines.append("    " + "、".join(names[:30]) + ("……" if len(names) > 30 else ""))
    lines.append(f"  组织员汇总：{len(plan.summaries)} 份；管理员全局情况：{len(plan.admins)} 份")
    lines.append(f"  共 {plan.recipients} 人收到消息。")
    return lines


def _reserve_preview(plan: ReservePlan, viewer: Access) -> list[str]:
    lines = [f"  组织员名单：{len(plan.summaries)} 份；管理员全局情况：{len(plan.admins)} 份"]
    for r, n in plan.counts.items():
        lines.append(f"  {REASON_TITLES[r]}：{n} 人次")
    named = {f.name for s in plan.summaries for f in s.findings if can_see(viewer, f.cadre_id, f.unit_code)}
    if named:
        lines.append("  涉及：" + "、".join(sorted(named)))
    lines.append(f"  共 {plan.recipients} 人收到消息。")
    return lines


def preview_text(
    schedule_id: int,
    name: str,
    at: datetime | None,
    training: TrainingPlan | None,
    reserve: ReservePlan | None,
    viewer: Access,
    tz: ZoneInfo,
) -> str:
    if at is None:
        return f"#{schedule_id} 之后不会再发送。"
    lines = [f"#{schedule_id} {name}：下次检查点 {at.astimezone(tz):%Y-%m-%d %H:%M}（预览，不发送）"]
    if training is not None:
        lines.extend(_training_preview(training, viewer, tz))
    if reserve is not None:
        lines.extend(_reserve_preview(reserve, viewer))
    return "\n".join(lines)
