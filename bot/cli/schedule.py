"""``orgbot schedule``: scheduled pushes from the command line — each change shows the next 5 fire times.

Parsing and wording only: the rules, and the audit rows (channel ``cli``), are the reminders
service's (``bot.scheduling.reminders``), the same one chat and the console call.
"""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path

from bot.app import OrgBot
from bot.cli.runtime import fail, run_command, started_bot
from bot.config import Config
from bot.scheduling import schedules as sched
from bot.scheduling import wording
from bot.scheduling.actor import Actor, operator
from bot.scheduling.receipt_desk import NoReceipts
from bot.scheduling.reminders import (
    EditReminder,
    MissingTime,
    NewNotice,
    NewReminder,
    NewSchedule,
    NoticeError,
    NoticeProblem,
    ScheduleRef,
    Unclear,
)
from bot.scheduling.rules import describe_rule
from bot.scheduling.targets import TargetError, describe_targets
from bot.scheduling.templates import TEMPLATES, find_template

# How the CLI names what is wrong with a notice's times (chat asks again in its own words).
NOTICE_PROBLEMS = {
    NoticeProblem.EVENT_NOT_SPECIFIC: "--event 需要一个具体的会议时间",
    NoticeProblem.SEND_NOT_SPECIFIC: "--when 需要一个具体的发送时间，或“现在”",
    NoticeProblem.SEND_AFTER_EVENT: "通知要在会议开始前发出：--when 应早于 --event",
    NoticeProblem.REREMINDER_BEFORE_SEND: "--rereminder 太长：催办时间早于通知发出时间",
}
UNCLEAR_FIELDS = {"event": "会议时间：", "send": "发送时间："}


def _actor(args: argparse.Namespace) -> Actor:
    return operator(getattr(args, "by", None) or f"cli:{getpass.getuser()}")


def _ref(args: argparse.Namespace) -> ScheduleRef:
    return ScheduleRef(_actor(args), args.id)


def _problem(exc: Exception, args: argparse.Namespace) -> str:
    """The one line a refused command prints (the service's own message unless the CLI words it)."""
    if isinstance(exc, Unclear):
        return UNCLEAR_FIELDS.get(exc.field, "") + str(exc)
    if isinstance(exc, NoticeError):
        if exc.problem is NoticeProblem.REREMINDER_UNREADABLE:
            return f"--rereminder {args.rereminder!r} 应写成 1天 / 2小时 / 30分钟 / 不催"
        return NOTICE_PROBLEMS.get(exc.problem, str(exc))
    if isinstance(exc, MissingTime):
        return "请用 --when 指定时间，如 --when '6月20日前' 或 --when '每月最后一个工作日 16:00'"
    return str(exc)


def _new_command(args: argparse.Namespace) -> NewSchedule | str:
    """The creation asked for; a string is what is wrong with the arguments."""
    if args.event:
        return NewNotice(
            _actor(args),
            args.name or "",
            args.event,
            args.to,
            send=args.when or None,
            rereminder=args.rereminder or "不催",
            text=args.text or "",
            urgent=args.urgent,
        )
    ladder = None
    if args.ladder:
        try:
            ladder = tuple(int(x) for x in args.ladder.split(",") if x.strip())
        except ValueError:
            return "--ladder 应写成逗号分隔的天数，如 7,3,1,0"
    return NewReminder(
        _actor(args),
        args.to,
        args.when or None,
        name=args.name or "",
        text=args.text,
        template=args.template,
        urgent=args.urgent,
        receipt=args.receipt,
        holidays=None if args.holidays == "previous" else args.holidays,
        ladder=ladder,
    )


async def _add(args: argparse.Namespace, config: Config) -> int:
    if args.template and find_template(args.template) is None:
        return fail(f"没有模板 {args.template!r}；可选：{'、'.join(t.key + '（' + t.name + '）' for t in TEMPLATES)}")
    cmd = _new_command(args)
    if isinstance(cmd, str):
        return fail(cmd)
    async with started_bot(config) as bot:
        service, policy = bot.scheduling.reminders, bot.scheduling.policy
        try:
            preview = await service.preview(cmd)
        except (sched.ScheduleError, TargetError) as exc:
            return fail(_problem(exc, args))
        draft = preview.draft
        print(f"{sched.KIND_LABELS[draft.kind]}：{draft.name}")
        print(f"规则：{describe_rule(draft.rule, policy)}")
        print(f"对象：{describe_targets(draft.targets, preview.names)}")
        print("接下来 5 次发送：")
        for line in wording.plan_lines(preview.plan, draft.rule, policy):
            print(line)
        if not args.yes:
            print("（预览，未创建。确认无误后加 --yes 创建。）")
            return 0
        try:
            created = await service.create(cmd)
        except sched.NeedsChoice as exc:
            return fail(f"{exc}请加 --holidays keep（照常）或 --holidays next（顺延）后重试。")
        except (sched.ScheduleError, TargetError) as exc:
            return fail(_problem(exc, args))
    print(f"已创建 #{created.schedule.id}")
    return 0


async def _list(args: argparse.Namespace, config: Config) -> int:
    async with started_bot(config) as bot:
        rows = await bot.scheduling.reminders.listing(_actor(args), include_done=args.all)
        tz = bot.scheduling.policy.tz
    if not rows:
        print("还没有提醒。用 `orgbot schedule add` 创建，或在聊天中发送 /提醒 新建。")
        return 0
    print(f"{'编号':<6}{'状态':<6}{'类型':<8}{'下次发送':<18}名称")
    for row in rows:
        r = row.schedule
        nxt = row.next_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if row.next_at else "-"
        status, kind = sched.STATUS_LABELS.get(r.status, r.status), sched.KIND_LABELS.get(r.kind, r.kind)
        print(f"#{r.id:<5}{status:<5}{kind:<7}{nxt:<18}{r.name}")
    return 0


async def _show(args: argparse.Namespace, config: Config) -> int:
    async with started_bot(config) as bot:
        policy = bot.scheduling.policy
        try:
            detail = await bot.scheduling.reminders.show(_ref(args))
        except sched.ScheduleError as exc:
            return fail(str(exc))
    for line in wording.summary_lines(detail.schedule, policy, detail.at, detail.names, detail.fired):
        print(line)
    print("修改记录：")
    for c in reversed(detail.history):
        print(f"  {c.at.astimezone(policy.tz):%Y-%m-%d %H:%M} {c.actor} {c.action} {c.detail}")
    return 0


async def _status_change(args: argparse.Namespace, config: Config) -> int:
    async with started_bot(config) as bot:
        try:
            return await _apply_status(bot, args)
        except sched.ScheduleError as exc:
            return fail(str(exc))


async def _apply_status(bot: OrgBot, args: argparse.Namespace) -> int:
    service, policy = bot.scheduling.reminders, bot.scheduling.policy
    if args.action == "pause":
        schedule = (await service.pause(_ref(args))).schedule
        print(f"已暂停 #{schedule.id} {schedule.name}（重启后仍保持暂停）")
    elif args.action == "resume":
        resumed = await service.resume(_ref(args))
        schedule = resumed.schedule
        print(f"已恢复 #{schedule.id} {schedule.name}。接下来 5 次发送：")
        for line in wording.plan_lines(resumed.upcoming, sched.rule_of(schedule), policy):
            print(line)
    elif not args.yes:
        removal = await service.removal(_ref(args))
        schedule = removal.schedule
        print(f"将删除 #{schedule.id} {schedule.name}（{describe_rule(sched.rule_of(schedule), policy)}）；")
        print(f"未发出的推送 {removal.unsent} 条将取消。删除后不再发送，修改记录保留。")
        print("（预览，未删除。确认无误后加 --yes 删除。）")
    else:
        removed = await service.remove(_ref(args))
        schedule = removed.schedule
        print(f"已删除 #{schedule.id} {schedule.name}；取消未发出的推送 {removed.cancelled} 条")
    return 0


async def _edit(args: argparse.Namespace, config: Config) -> int:
    cmd = EditReminder(_actor(args), args.id, name=args.name, text=args.text, when=args.when, to=args.to)
    async with started_bot(config) as bot:
        service, policy = bot.scheduling.reminders, bot.scheduling.policy
        try:
            if not args.yes:
                preview = await service.preview_edit(cmd)
                for line in wording.edit_preview(preview.schedule, preview.draft, policy, preview.at, preview.names):
                    print(line)
                print("（预览，未修改。确认无误后加 --yes 修改。）")
                return 0
            edited = await service.edit(cmd)
        except (sched.ScheduleError, TargetError) as exc:
            return fail(_problem(exc, args))
    schedule = edited.schedule
    print(f"已修改 #{schedule.id} {schedule.name}。接下来 5 次发送：")
    for line in wording.plan_lines(edited.upcoming, sched.rule_of(schedule), policy):
        print(line)
    return 0


async def _run_now(args: argparse.Namespace, config: Config) -> int:
    async with started_bot(config) as bot:
        try:
            result = await bot.scheduling.reminders.run_now(_ref(args))
        except sched.ScheduleError as exc:
            return fail(str(exc))
    if result.merged:
        print(
            f"此刻已经发出过一次（按计划或另一次立即发送），本次与之合并："
            f"每位接收人只收到一份，共 {result.recipients} 位接收人。"
        )
        return 0
    print(f"已加入发送队列：{result.recipients} 位接收人。运行中的服务（orgbot run）会在几秒内发出。")
    return 0


async def _receipts(args: argparse.Namespace, config: Config) -> int:
    async with started_bot(config) as bot:
        desk, tz = bot.scheduling.receipts, bot.scheduling.policy.tz
        try:
            if args.export:
                count = await desk.export(_actor(args), args.id, Path(args.export))
                print(f"已导出 {count} 行到 {args.export}")
                return 0
            view = await desk.report(_actor(args), args.id)
        except NoReceipts as exc:
            return fail(f"#{exc.schedule.id} 不需要回执")
        except sched.ScheduleError as exc:
            return fail(str(exc))
    rep = view.report
    if rep.members_known:
        print(f"《{view.schedule.name}》回执：已确认 {len(rep.confirmed)}/{rep.expected}")
    else:
        groups = "、".join(s.label() for s in rep.groups)
        print(
            f"《{view.schedule.name}》回执：发到{groups}，群内已确认 {len(rep.in_group)} 人；群成员名单未知，无法列出未确认者"
        )
    for line in rep.waiting:
        print(f"  未确认  {line.user_id:<16}{line.name}")
    for line in rep.confirmed:
        at = line.confirmed_at.astimezone(tz).strftime("%m-%d %H:%M") if line.confirmed_at else ""
        print(f"  已确认  {line.user_id:<16}{line.name:<8}{at}{'（群内）' if line.in_group else ''}")
    for line in rep.in_group:
        at = line.confirmed_at.astimezone(tz).strftime("%m-%d %H:%M") if line.confirmed_at else ""
        print(f"  群内确认 {line.user_id:<15}{line.name:<8}{at}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "schedule", help="定时提醒：add / list / show / edit / pause / resume / remove / run-now / receipts"
    )
    p.set_defaults(subparser=p)
    s = p.add_subparsers(metavar="ACTION")

    add = s.add_parser("add", help="新建提醒（先预览接下来 5 次发送，加 --yes 才创建）")
    add.add_argument("--name", help="标题（用模板时可省略）")
    add.add_argument("--when", help="时间，如 '下周三下午3点' '6月20日前' '每月最后一个工作日 16:00'")
    add.add_argument("--to", required=True, help="对象，如 '@zhangsan 单位:U01 角色:组织员 群:wecom:群ID 全体'")
    add.add_argument("--text", help="正文")
    # Spaces between the entries: argparse wraps only at spaces, so a template name is never cut in two.
    add.add_argument("--template", help="内置模板： " + " ".join(f"{t.key}（{t.name}）" for t in TEMPLATES))
    add.add_argument("--ladder", help="截止前第几天提醒，如 7,3,1,0（0 为当天上午）")
    add.add_argument("--event", help="会议时间（会议通知，自动需要回执）")
    add.add_argument("--rereminder", help="会前多久催未回执者，如 1天 / 2小时 / 不催")
    add.add_argument("--receipt", action="store_true", help="需要回执（回复“收到”）")
    add.add_argument("--urgent", action="store_true", help="紧急：夜间免打扰时段也发送")
    add.add_argument(
        "--holidays", choices=["previous", "next", "keep"], default="previous", help="遇节假日：提前（默认）/顺延/照常"
    )
    add.add_argument("--yes", action="store_true", help="确认创建")
    add.add_argument("--by", help="记录为谁的操作（默认 cli:当前系统用户）")
    add.set_defaults(func=run_command(_add))

    ls = s.add_parser("list", help="列出提醒")
    ls.add_argument("--all", action="store_true", help="包括已结束的")
    ls.set_defaults(func=run_command(_list))

    show = s.add_parser("show", help="详情、接下来 5 次发送和修改记录")
    show.add_argument("id", type=int, help="提醒编号（见 schedule list）")
    show.set_defaults(func=run_command(_show))

    edit = s.add_parser("edit", help="修改标题、正文、时间或对象（先预览，加 --yes 才修改）")
    edit.add_argument("id", type=int, help="提醒编号（见 schedule list）")
    edit.add_argument("--name", help="新标题")
    edit.add_argument("--text", help="新正文")
    edit.add_argument("--when", help="新时间，写法同 schedule add --when")
    edit.add_argument("--to", help="新对象，写法同 schedule add --to")
    edit.add_argument("--by", help="记录为谁的操作")
    edit.add_argument("--yes", action="store_true", help="确认修改（不加则只预览）")
    edit.set_defaults(func=run_command(_edit))

    for action, text in (
        ("pause", "暂停（重启后仍暂停）"),
        ("resume", "恢复"),
        ("remove", "删除并取消未发出的推送（先预览，加 --yes 才删除）"),
    ):
        cmd = s.add_parser(action, help=text)
        cmd.add_argument("id", type=int, help="提醒编号（见 schedule list）")
        cmd.add_argument("--by", help="记录为谁的操作")
        if action == "remove":
            cmd.add_argument("--yes", action="store_true", help="确认删除")
        cmd.set_defaults(func=run_command(_status_change), action=action)

    rn = s.add_parser("run-now", help="立即发送一次（原计划不变）")
    rn.add_argument("id", type=int, help="提醒编号（见 schedule list）")
    rn.add_argument("--by", help="记录为谁的操作")
    rn.set_defaults(func=run_command(_run_now))

    rc = s.add_parser("receipts", help="会议通知的回执：谁已确认、谁还没有；可导出 CSV/XLSX")
    rc.add_argument("id", type=int, help="会议通知的提醒编号")
    rc.add_argument("--export", metavar="FILE", help="导出到 .csv 或 .xlsx")
    rc.set_defaults(func=run_command(_receipts))
