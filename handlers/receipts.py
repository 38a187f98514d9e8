"""Receipts: recipients confirm a notice with “收到” (or 1); organizers see who has not with /回执.

A bare “1” is a confirmation only for someone with a notice still open: the policy
Q&A menu also uses digits, and its pending dialogue is routed before this pattern.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from sqlalchemy import func, select

from bot.handler import Context, HandlerResult, handler
from bot.messages import Reply
from bot.roles import Role
from bot.scheduling import receipts
from bot.scheduling import schedules as sched
from bot.scheduling.models import Receipt, Schedule
from bot.scheduling.rules import Fire
from bot.scheduling.service import expand_fire

CONFIRM_PATTERN = r"^\s*(?:(?:已|我)?收到(?:了|啦)?|好的[，,]?收到|[1１])\s*(?:[#＃]?\s*(\d+))?\s*[!！。.~～]*\s*$"


@handler(patterns=[CONFIRM_PATTERN], help="回复“收到”确认会议通知", usage="收到", category="提醒与通知", priority=50)
async def confirm_receipt(ctx: Context) -> HandlerResult:
    match = re.match(CONFIRM_PATTERN, ctx.text)
    schedule_id = int(match.group(1)) if match and match.group(1) else None
    if not ctx.user.is_known:
        return await _not_a_receipt(ctx) if ctx.text.strip() in ("1", "１") else "目前没有需要您确认的通知。"
    now = ctx.bot.clock.now()
    bare_digit = ctx.text.strip() in ("1", "１")
    if bare_digit:
        async with ctx.session() as session:
            open_notices = await receipts.unconfirmed_notices(session, ctx.user.user_id)
        if not open_notices:
            return await _not_a_receipt(ctx)
    via = f"{ctx.message.channel}:{'1' if bare_digit else '收到'}"
    async with ctx.session() as session, session.begin():
        result = await receipts.confirm(session, ctx.user.user_id, now, via, schedule_id)
    if result.confirmed is None:
        if schedule_id is not None:
            return f"没有需要您确认的 {schedule_id} 号通知。"
        return "目前没有需要您确认的通知。"
    if result.already:
        return f"您已确认过《{result.confirmed.name}》，无需重复回复。"
    lines = [f"已确认收到《{result.confirmed.name}》，谢谢！"]
    if result.remaining:
        others = "、".join(f"《{s.name}》（回复“收到 {s.id}”）" for s in result.remaining[:5])
        lines.append(f"您还有 {len(result.remaining)} 条通知待确认：{others}")
    return "\n".join(lines)


async def _not_a_receipt(ctx: Context) -> HandlerResult:
    """A bare “1” with no notice open is not ours: hand it to the fallback, as if we had not matched."""
    fallback = ctx.bot.router.fallback
    if fallback is None or fallback[1].role > ctx.user.role:
        return "目前没有需要您确认的通知。"
    return await fallback[0](replace(ctx, spec=fallback[1], match=None))


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
    try:
        schedule_id = sched.parse_id(word)
        async with ctx.session() as session:
            schedule = await sched.get(session, schedule_id)
            if ctx.user.role < Role.ADMIN and schedule.created_by != ctx.user.user_id:
                return f"#{schedule_id} 由他人创建，组织员只能查看自己发出的通知的回执。"
            if not schedule.receipt:
                return f"#{schedule_id} {schedule.name} 不需要回执。"
            rep = await receipts.report(session, schedule)
    except sched.ScheduleError as exc:
        return str(exc)
    tz = ctx.service("scheduling").policy.tz
    action = action.strip()
    if action in ("导出", "export", "csv"):
        return Reply(f"《{schedule.name}》回执（CSV）：\n{receipts.to_csv(rep, tz)}", private=True)
    if action in ("催办", "提醒", "再提醒"):
        return await _nudge(ctx, schedule, len(rep.waiting))
    total = len(rep.confirmed) + len(rep.waiting)
    if total == 0:
        return f"《{schedule.name}》还没有发出（计划发送后才开始收集回执）。"
    lines = [f"《{schedule.name}》回执：已确认 {len(rep.confirmed)}/{total}，未确认 {len(rep.waiting)}。"]
    if rep.waiting:
        lines.append("未确认：" + "、".join(_person(x.name, x.user_id) for x in rep.waiting))
    if rep.confirmed:
        lines.append(
            "已确认：" + "、".join(f"{_person(x.name, x.user_id)}（{_at(x.confirmed_at, tz)}）" for x in rep.confirmed)
        )
    lines.append(f"导出：/回执 {schedule.id} 导出；只提醒未确认的人：/回执 {schedule.id} 催办")
    return Reply("\n".join(lines), private=True)


def _person(name: str, user_id: str) -> str:
    return f"{name}（{user_id}）" if name and name != user_id else user_id


def _at(when: datetime | None, tz: object) -> str:
    return when.astimezone(tz).strftime("%m-%d %H:%M") if when else ""  # type: ignore[arg-type]


async def _list(ctx: Context) -> str:
    async with ctx.session() as session:
        query = (
            select(Schedule, func.count(Receipt.user_id), func.count(Receipt.confirmed_at))
            .outerjoin(Receipt, Receipt.schedule_id == Schedule.id)
            .where(Schedule.receipt.is_(True), Schedule.status != "deleted")
            .group_by(Schedule.id)
            .order_by(Schedule.id.desc())
            .limit(20)
        )
        if ctx.user.role < Role.ADMIN:
            query = query.where(Schedule.created_by == ctx.user.user_id)
        rows = (await session.execute(query)).all()
    if not rows:
        return "还没有需要回执的通知。发送 /会议通知 创建。"
    lines = ["需要回执的通知："]
    for schedule, total, confirmed in rows:
        lines.append(f"#{schedule.id} {schedule.name}：已确认 {confirmed}/{total}")
    lines.append("详情：/回执 编号")
    return "\n".join(lines)


async def _nudge(ctx: Context, schedule: Schedule, waiting: int) -> str:
    if waiting == 0:
        return f"《{schedule.name}》所有人都已确认，无需催办。"
    service = ctx.service("scheduling")
    now = ctx.bot.clock.now()
    async with ctx.session() as session, session.begin():
        schedule = await sched.get(session, schedule.id)
        count = await expand_fire(
            session, schedule, Fire(now, "rereminder"), now, service.policy, list(ctx.bot.channels)
        )
    await ctx.audit("receipt.nudge", "ok", subject=str(schedule.id), detail=f"{count} recipients")
    return f"已向 {count} 位未确认的人再次发送提醒。"
