"""Chat side of the reminders from the records: 明细 after a 学时 summary, and the /提醒 words
(免打扰 学时, 恢复提醒 学时, 启用 学时预警, 预览 编号) that reminders.py hands over.

The rules live in bot/cadres/alerts.py and bot/scheduling/record_alerts.py; this module parses and formats.
"""

from __future__ import annotations

from bot.cadres import alert_text, alerts
from bot.handler import Context, handler
from bot.messages import Reply
from bot.roles import Role
from bot.scheduling import record_alerts
from bot.scheduling import schedules as sched
from bot.scheduling.rules import describe_rule
from bot.scheduling.templates import Template

MUTE_WORDS = ("免打扰", "静音", "mute")
UNMUTE_WORDS = ("恢复提醒", "取消免打扰", "unmute")
DETAIL_PATTERN = r"^\s*(?:查看)?明细\s*$"


@handler(
    commands=["明细"],
    patterns=[DETAIL_PATTERN],
    role=Role.ORGANIZER,
    help="学时预警汇总的全部落后人员名单（仅本人管理范围）",
    usage="明细",
    category="提醒与通知",
)
async def behind_detail(ctx: Context) -> Reply:
    policy = ctx.scheduling.policy
    now = ctx.bot.clock.now()
    async with ctx.session() as session, session.begin():
        rows = await record_alerts.behind_list(session, await ctx.actor(), now, policy, ctx.config.cadres)
    return Reply(alert_text.behind_list(rows, now.astimezone(policy.tz).date()), private=True)


async def mute(ctx: Context, rest: str, muted: bool) -> str:
    kind = alerts.MUTABLE.get(rest.strip() or "学时")
    if kind is None:
        return "只有个人学时预警可以设置免打扰：/提醒 免打扰 学时（恢复：/提醒 恢复提醒 学时）。组织员汇总不能免打扰。"
    async with ctx.session() as session, session.begin():
        changed = await alerts.set_muted(session, ctx.user.user_id, kind, muted, ctx.bot.clock.now())
        session.add(ctx.audit_row("alert.mute" if muted else "alert.unmute", "ok" if changed else "unchanged"))
    if muted:
        return (
            "已设置：不再向您发送个人学时预警。组织员的单位汇总不受影响。恢复：/提醒 恢复提醒 学时"
            if changed
            else "您已设置过学时预警免打扰。恢复：/提醒 恢复提醒 学时"
        )
    return "已恢复：检查点时学时进度落后会提醒您。" if changed else "您没有设置学时预警免打扰，无需恢复。"


async def enable(ctx: Context, template: Template, when: str) -> str:
    policy = ctx.scheduling.policy
    actor = await ctx.actor()
    async with ctx.session() as session, session.begin():
        done = await record_alerts.enable(session, template, when.strip(), actor, ctx.bot.clock.now(), policy)
    lines = [f"已启用“{template.name}”：" if done.created else f"“{template.name}”的这些检查点都已启用："]
    for schedule in done.created:
        lines.append(f"  #{schedule.id} {describe_rule(sched.rule_of(schedule), policy)}")
    if done.skipped:
        lines.append(f"  已启用过、未重复创建：{'、'.join(done.skipped)}")
    lines.append("遇节假日提前到前一个工作日，夜间免打扰时段不发送。")
    if done.created:
        lines.append(f"查看下次检查点会提醒谁（不发送）：/提醒 预览 {done.created[0].id}")
    return "\n".join(lines)


async def preview(ctx: Context, rest: str) -> str:
    policy = ctx.scheduling.policy
    actor = await ctx.actor()
    async with ctx.session() as session:
        p = await record_alerts.preview(
            session, sched.parse_id(rest), actor, ctx.bot.clock.now(), policy, ctx.config.cadres
        )
    return alert_text.preview_text(p.schedule_id, p.name, p.at, p.training, p.reserve, actor.access, policy.tz)
