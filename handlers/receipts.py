"""Receipts: recipients confirm a notice with “收到” (or 1); organizers see who has not with /回执.

A bare “1” is a confirmation only for someone with a notice still open: the policy
Q&A menu also uses digits, and its pending dialogue is routed before this pattern.

In a group chat that a notice asking for receipts was pushed to, “收到” confirms that
notice for the sender's staff identity (their account on that platform); the group
has no member list, so /回执 lists who confirmed there, and who has not only for the
people the notice also reached personally.

Admins see every notice's receipts. An organizer sees the notices they created, and
those that reached people in their unit scope — but then only those people.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from bot.handler import Context, HandlerResult, handler
from bot.messages import Reply
from bot.roles import Role
from bot.scheduling import receipts
from bot.scheduling import schedules as sched
from bot.scheduling.models import Schedule
from bot.scheduling.receipt_desk import NoReceipts, Nudge, ReceiptView
from bot.scheduling.targets import load_targets

CONFIRM_PATTERN = r"^\s*(?:(?:已|我)?收到(?:了|啦)?|好的[，,]?收到|[1１])\s*(?:[#＃]?\s*(\d+))?\s*[!！。.~～]*\s*$"
BARE_DIGITS = ("1", "１")


async def _receipt_open(ctx: Context) -> bool:
    """A bare “1” is ours only when the sender has a notice to confirm (here or personally); else the
    router's fallback (the policy Q&A) answers it. “收到” is always ours."""
    if ctx.text.strip() not in BARE_DIGITS:
        return True
    if not ctx.user.is_known:
        return False
    message = ctx.message
    async with ctx.session() as session:
        return await receipts.anything_open(
            session, ctx.user.user_id, message.channel, message.chat_id, message.is_group
        )


@handler(
    patterns=[CONFIRM_PATTERN],
    help="回复“收到”确认会议通知",
    usage="收到",
    category="提醒与通知",
    priority=50,
    applies=_receipt_open,
)
async def confirm_receipt(ctx: Context) -> HandlerResult:
    match = re.match(CONFIRM_PATTERN, ctx.text)
    schedule_id = int(match.group(1)) if match and match.group(1) else None
    bare_digit = ctx.text.strip() in BARE_DIGITS
    message = ctx.message
    if not ctx.user.is_known:
        if message.is_group:
            async with ctx.session() as session:
                pushed_here = await receipts.group_notices(session, message.channel, message.chat_id)
            if pushed_here:
                return "您的账号还没有登记为工作人员，这条回执无法记录。请联系管理员登记后再回复“收到”。"
        return "目前没有需要您确认的通知。"
    now = ctx.bot.clock.now()
    word = "1" if bare_digit else "收到"
    if message.is_group:
        async with ctx.session() as session, session.begin():
            in_group = await receipts.confirm_in_group(
                session,
                ctx.user.user_id,
                ctx.user.name,
                message.channel,
                message.chat_id,
                now,
                f"{receipts.GROUP_VIA}:{message.channel}:{message.chat_id}",
                schedule_id,
            )
        if in_group is not None:
            return _confirmed_text(in_group)
    via = f"{message.channel}:{word}"
    async with ctx.session() as session, session.begin():
        result = await receipts.confirm(session, ctx.user.user_id, now, via, schedule_id)
    if result.confirmed is None:
        if schedule_id is not None:
            return f"没有需要您确认的 {schedule_id} 号通知。"
        return "目前没有需要您确认的通知。"
    return _confirmed_text(result)


def _confirmed_text(result: receipts.Confirmation) -> str:
    assert result.confirmed is not None
    if result.already:
        return f"您已确认过《{result.confirmed.name}》，无需重复回复。"
    lines = [f"已确认收到《{result.confirmed.name}》，谢谢！"]
    if result.remaining:
        others = "、".join(f"《{s.name}》（回复“收到 {s.id}”）" for s in result.remaining[:5])
        lines.append(f"您还有 {len(result.remaining)} 条通知待确认：{others}")
    return "\n".join(lines)


@handler(
    commands=["回执"],
    role=Role.ORGANIZER,
    help="查看会议通知的回执：谁已确认、谁还没有；可导出、催办",
    usage="/回执 编号 [导出|催办]",
    category="提醒与通知",
)
async def receipt_report(ctx: Context) -> str | Reply:
    word, _, action = ctx.args.strip().partition(" ")
    if not word:
        return await _list(ctx)
    action = action.strip()
    desk = ctx.scheduling.receipts
    try:
        schedule_id = sched.parse_id(word)
        if action in ("催办", "提醒", "再提醒"):
            return await _nudge(ctx, schedule_id)
        view = await desk.report(await ctx.actor(), schedule_id)
    except NoReceipts as exc:
        return f"#{exc.schedule.id} {exc.schedule.name} 不需要回执。"
    except sched.ScheduleError as exc:
        return str(exc)
    tz = ctx.scheduling.policy.tz
    rep, schedule = view.report, view.schedule
    only = _only(view)
    if action in ("导出", "export", "csv"):
        return Reply(f"《{schedule.name}》回执{only}（CSV）：\n{receipts.to_csv(rep, tz)}", private=True)
    if view.planned is not None:
        when = _not_sent(schedule, view.planned, tz, ctx.bot.clock.now())
        return f"《{schedule.name}》{when}，发出后开始收集回执。"
    return Reply("\n".join(_report_lines(view, tz)), private=True)


def _only(view: ReceiptView) -> str:
    return f"（仅含您管理范围 {view.scope.label} 内的人员）" if view.report.scoped else ""


def _report_lines(view: ReceiptView, tz: tzinfo) -> list[str]:
    rep, schedule, only = view.report, view.schedule, _only(view)
    lines: list[str] = []
    if rep.members_known:
        lines.append(
            f"《{schedule.name}》回执{only}：已确认 {len(rep.confirmed)}/{rep.expected}，未确认 {len(rep.waiting)}。"
        )
        if rep.waiting:
            lines.append("未确认：" + "、".join(_person(x.name, x.user_id) for x in rep.waiting))
        if rep.confirmed:
            lines.append("已确认：" + "、".join(_confirmed(x, tz) for x in rep.confirmed))
        if rep.in_group:
            lines.append("群内另有确认（不在通知名单中）：" + "、".join(_confirmed(x, tz, False) for x in rep.in_group))
    else:
        groups = "、".join(s.label() for s in rep.groups)
        lines.append(f"《{schedule.name}》回执{only}：发到{groups}，群内已确认 {len(rep.in_group)} 人。")
        confirmed = "、".join(_confirmed(x, tz, False) for x in rep.in_group) or "暂无"
        lines.append(f"群内已确认：{confirmed}；群成员名单未知，无法列出未确认者。")
    tail = f"导出：/回执 {schedule.id} 导出"
    if rep.members_known:
        tail += f"；只提醒未确认的人：/回执 {schedule.id} 催办"
    lines.append(tail)
    return lines


def _person(name: str, user_id: str) -> str:
    return f"{name}（{user_id}）" if name and name != user_id else user_id


def _confirmed(line: receipts.ReceiptLine, tz: tzinfo, mark_group: bool = True) -> str:
    where = "，群内" if mark_group and line.in_group else ""
    return f"{_person(line.name, line.user_id)}（{_at(line.confirmed_at, tz)}{where}）"


def _at(when: datetime | None, tz: tzinfo) -> str:
    return when.astimezone(tz).strftime("%m-%d %H:%M") if when else ""


def _not_sent(schedule: Schedule, planned: int, tz: tzinfo, now: datetime) -> str:
    """“尚未发出（预计 12 人，15:00 发送）” for a notice the scheduler has not fired yet."""
    specs = load_targets(schedule.targets)
    who = f"预计 {planned} 人" if any(s.kind != "group" for s in specs) else ""
    if any(s.kind == "group" for s in specs):
        who = f"{who}及群聊" if who else "发到群聊"
    parts = [who]
    if schedule.status == "paused":
        parts.append("已暂停")
    elif schedule.next_fire_at is not None:
        at = schedule.next_fire_at.astimezone(tz)
        day = "" if at.date() == now.astimezone(tz).date() else f"{at:%m-%d} "
        parts.append(f"{day}{at:%H:%M} 发送")
    return f"尚未发出（{'，'.join(parts)}）"


async def _list(ctx: Context) -> str:
    rows = await ctx.scheduling.receipts.overview(await ctx.actor())
    tz = ctx.scheduling.policy.tz
    now = ctx.bot.clock.now()
    if not rows:
        return "还没有需要回执的通知。发送 /会议通知 创建。"
    lines = ["需要回执的通知："]
    for row in rows:
        head = f"#{row.schedule.id} {row.schedule.name}" + ("（仅计您管理范围内的人员）" if row.scoped else "")
        if row.planned is not None:
            line = f"{head}：{_not_sent(row.schedule, row.planned, tz, now)}"
        elif row.members_known:
            line = f"{head}：已确认 {row.confirmed}/{row.expected}"
            if row.in_group:
                line += f"，群内另有 {row.in_group} 人确认"
        else:
            line = f"{head}：群内已确认 {row.in_group} 人（群成员名单未知）"
        lines.append(line)
    lines.append("详情：/回执 编号")
    return "\n".join(lines)


async def _nudge(ctx: Context, schedule_id: int) -> str:
    nudged = await ctx.scheduling.receipts.nudge(await ctx.actor(), schedule_id)
    name = nudged.schedule.name
    if nudged.outcome is Nudge.GROUP_ONLY:
        return f"《{name}》发到群聊，群成员名单未知，无法只提醒未确认的人。"
    if nudged.outcome is Nudge.ALL_CONFIRMED:
        who = "您管理范围内的人员" if nudged.scoped else "所有人"
        return f"《{name}》{who}都已确认，无需催办。"
    return f"已向 {nudged.recipients} 位未确认的人再次发送提醒。"
