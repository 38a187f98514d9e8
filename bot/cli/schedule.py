"""``orgbot schedule``: scheduled pushes from the command line — each change shows the next 5 fire times."""

from __future__ import annotations

import argparse
import getpass
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.cadres.sheets import write_table
from bot.cli import schedule_records
from bot.cli.runtime import fail, run_command, started_bot
from bot.config import Config
from bot.scheduling import planner, receipts
from bot.scheduling import schedules as sched
from bot.scheduling.dialogue import parse_duration_minutes
from bot.scheduling.phrases import AskBack, parse_phrase
from bot.scheduling.rules import Policy, Rule, describe_rule
from bot.scheduling.service import run_now, staff_names
from bot.scheduling.targets import TargetError, describe_targets, parse_targets
from bot.scheduling.templates import TEMPLATES, find_template


def _actor(args: argparse.Namespace) -> str:
    return args.by or f"cli:{getpass.getuser()}"


def _rule_from(args: argparse.Namespace, policy: Policy, now_local) -> Rule | str:  # type: ignore[no-untyped-def]
    """Build the rule from --when / --event / --ladder; a string is the question to ask back."""
    if args.event:
        event = parse_phrase(args.event, now_local)
        if isinstance(event, AskBack):
            return f"会议时间：{event.question}"
        if event.rule.type != "once" or event.rule.deadline:
            return "--event 需要一个具体的会议时间"
        send_at = now_local.replace(tzinfo=None, microsecond=0).isoformat()
        if args.when and args.when != "现在":
            send_when = parse_phrase(args.when, now_local)
            if isinstance(send_when, AskBack):
                return f"发送时间：{send_when.question}"
            send_at = send_when.rule.at
        minutes = parse_duration_minutes(args.rereminder or "不催")
        if minutes is None:
            return f"--rereminder {args.rereminder!r} 应写成 1天 / 2小时 / 30分钟 / 不催"
        return Rule("once", at=send_at, event_at=event.rule.at, rereminder_minutes=minutes, shift="none")
    when = args.when
    template = find_template(args.template) if args.template else None
    if not when and template is not None:
        when = template.default_when
    if not when:
        return "请用 --when 指定时间，如 --when '6月20日前' 或 --when '每月最后一个工作日 16:00'"
    parsed = parse_phrase(when, now_local)
    if isinstance(parsed, AskBack):
        return parsed.question
    rule = parsed.rule
    if template is not None and template.ladder and rule.deadline:
        rule = replace(rule, ladder=template.ladder)
    if args.ladder:
        try:
            ladder = tuple(int(x) for x in args.ladder.split(",") if x.strip())
        except ValueError:
            return "--ladder 应写成逗号分隔的天数，如 7,3,1,0"
        rule = replace(rule, ladder=ladder, deadline=True)
    if args.holidays == "keep":
        rule = replace(rule, shift="none")
    elif args.holidays == "next":
        rule = replace(rule, shift="next")
    return rule


async def _add(args: argparse.Namespace, config: Config) -> int:
    policy = Policy.from_config(config)
    template = None
    if args.template:
        template = find_template(args.template)
        if template is None:
            return fail(
                f"没有模板 {args.template!r}；可选：{'、'.join(t.key + '（' + t.name + '）' for t in TEMPLATES)}"
            )
        if template.from_records:
            return await schedule_records.add(args, config, template)
    if not args.to:
        return fail("请用 --to 指定对象，如 --to '角色:组织员'")
    async with started_bot(config) as bot:
        now = bot.clock.now()
        rule = _rule_from(args, policy, now.astimezone(policy.tz))
        if isinstance(rule, str):
            return fail(rule)
        async with bot.db() as session:
            try:
                targets = await parse_targets(session, args.to)
            except TargetError as exc:
                return fail(str(exc))
            names = await staff_names(session)
        draft = sched.ScheduleDraft(
            name=args.name or (template.name if template else ""),
            text=args.text if args.text is not None else (template.text if template else ""),
            rule=rule,
            targets=targets,
            urgent=args.urgent,
            receipt=args.receipt or bool(args.event),
            template=template.key if template else None,
        )
        try:
            draft.validate()
        except sched.ScheduleError as exc:
            return fail(str(exc))
        print(f"{sched.KIND_LABELS[draft.kind]}：{draft.name}")
        print(f"规则：{describe_rule(rule, policy)}")
        print(f"对象：{describe_targets(targets, names)}")
        print("接下来 5 次发送：")
        for line in sched.preview_lines(rule, policy, now - timedelta(seconds=1), draft.urgent):
            print(line)
        if not args.yes:
            print("（预览，未创建。确认无误后加 --yes 创建。）")
            return 0
        try:
            async with bot.db() as session, session.begin():
                schedule = await sched.create(session, draft, _actor(args), now - timedelta(seconds=1), policy)
        except sched.NeedsChoice as exc:
            return fail(f"{exc}请加 --holidays keep（照常）或 --holidays next（顺延）后重试。")
        except sched.ScheduleError as exc:
            return fail(str(exc))
    print(f"已创建 #{schedule.id}")
    return 0


async def _list(args: argparse.Namespace, config: Config) -> int:
    policy = Policy.from_config(config)
    async with started_bot(config) as bot, bot.db() as session:
        rows = await sched.list_schedules(session, include_done=args.all)
        now = bot.clock.now()
        shown = {r.id: await planner.shown_next(session, r, policy, now) for r in rows}
    if not rows:
        print("还没有提醒。用 `orgbot schedule add` 创建，或在聊天中发送 /提醒 新建。")
        return 0
    print(f"{'编号':<6}{'状态':<6}{'类型':<8}{'下次发送':<18}名称")
    for r in rows:
        at = shown[r.id]
        nxt = at.astimezone(policy.tz).strftime("%Y-%m-%d %H:%M") if at else "-"
        print(
            f"#{r.id:<5}{sched.STATUS_LABELS.get(r.status, r.status):<5}{sched.KIND_LABELS.get(r.kind, r.kind):<7}{nxt:<18}{r.name}"
        )
    return 0


async def _show(args: argparse.Namespace, config: Config) -> int:
    policy = Policy.from_config(config)
    async with started_bot(config) as bot, bot.db() as session:
        try:
            schedule = await sched.get(session, args.id)
        except sched.ScheduleError as exc:
            return fail(str(exc))
        names = await staff_names(session)
        history = await sched.changes(session, args.id)
        fired = await planner.fired_keys(session, schedule, bot.clock.now())
        for line in sched.summary_lines(schedule, policy, bot.clock.now(), names, fired):
            print(line)
    print("修改记录：")
    for c in reversed(history):
        print(f"  {c.at.astimezone(policy.tz):%Y-%m-%d %H:%M} {c.actor} {c.action} {c.detail}")
    return 0


async def _status_change(args: argparse.Namespace, config: Config) -> int:
    policy = Policy.from_config(config)
    async with started_bot(config) as bot:
        now = bot.clock.now()
        try:
            async with bot.db() as session, session.begin():
                schedule = await sched.get(session, args.id)
                if args.action == "pause":
                    await sched.pause(session, schedule, _actor(args), now)
                elif args.action == "resume":
                    await sched.resume(session, schedule, _actor(args), now, policy)
                elif not args.yes:
                    waiting = await sched.unsent_count(session, schedule)
                    print(
                        f"将删除 #{schedule.id} {schedule.name}（{sched.describe_rule(sched.rule_of(schedule), policy)}）；"
                    )
                    print(f"未发出的推送 {waiting} 条将取消。删除后不再发送，修改记录保留。")
                    print("（预览，未删除。确认无误后加 --yes 删除。）")
                    return 0
                else:
                    cancelled = await sched.remove(session, schedule, _actor(args), now)
        except sched.ScheduleError as exc:
            return fail(str(exc))
    if args.action == "pause":
        print(f"已暂停 #{schedule.id} {schedule.name}（重启后仍保持暂停）")
    elif args.action == "resume":
        print(f"已恢复 #{schedule.id} {schedule.name}。接下来 5 次发送：")
        for line in sched.preview_lines(sched.rule_of(schedule), policy, now, schedule.urgent):
            print(line)
    else:
        print(f"已删除 #{schedule.id} {schedule.name}；取消未发出的推送 {cancelled} 条")
    return 0


async def _edit(args: argparse.Namespace, config: Config) -> int:
    policy = Policy.from_config(config)
    async with started_bot(config) as bot:
        now = bot.clock.now()
        rule = None
        if args.when:
            parsed = parse_phrase(args.when, now.astimezone(policy.tz))
            if isinstance(parsed, AskBack):
                return fail(parsed.question)
            rule = parsed.rule
        try:
            async with bot.db() as session, session.begin():
                schedule = await sched.get(session, args.id)
                if rule is not None and schedule.template:
                    template = find_template(schedule.template)
                    if template is not None and template.ladder and rule.deadline:
                        rule = replace(rule, ladder=template.ladder)
                if rule is not None:
                    rule = replace(rule, shift=sched.rule_of(schedule).shift)
                targets = await parse_targets(session, args.to) if args.to else None
                changes: dict[str, Any] = {"name": args.name, "text": args.text, "rule": rule, "targets": targets}
                if not args.yes:
                    draft = sched.edit_draft(schedule, **changes)
                    names = await staff_names(session)
                    for line in sched.edit_preview(schedule, draft, policy, now, names):
                        print(line)
                    print("（预览，未修改。确认无误后加 --yes 修改。）")
                    return 0
                await sched.edit(session, schedule, _actor(args), now, policy, **changes)
        except (sched.ScheduleError, TargetError) as exc:
            return fail(str(exc))
        print(f"已修改 #{schedule.id} {schedule.name}。接下来 5 次发送：")
        for line in sched.preview_lines(sched.rule_of(schedule), policy, now, schedule.urgent):
            print(line)
    return 0


async def _run_now(args: argparse.Namespace, config: Config) -> int:
    policy = Policy.from_config(config)
    async with started_bot(config) as bot:
        try:
            result = await run_now(bot, policy, args.id, _actor(args))
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
    policy = Policy.from_config(config)
    async with started_bot(config) as bot, bot.db() as session:
        try:
            schedule = await sched.get(session, args.id)
        except sched.ScheduleError as exc:
            return fail(str(exc))
        if not schedule.receipt:
            return fail(f"#{schedule.id} 不需要回执")
        rep = await receipts.report(session, schedule)
    if args.export:
        path = Path(args.export)
        if path.suffix.lower() not in (".csv", ".xlsx"):
            return fail("导出文件的扩展名应为 .csv 或 .xlsx")
        write_table(path, "回执", receipts.EXPORT_HEADERS, receipts.export_rows(rep, policy.tz))
        print(f"已导出 {rep.expected + len(rep.in_group)} 行到 {path}")
        return 0
    if rep.members_known:
        print(f"《{schedule.name}》回执：已确认 {len(rep.confirmed)}/{rep.expected}")
    else:
        groups = "、".join(s.label() for s in rep.groups)
        print(
            f"《{schedule.name}》回执：发到{groups}，群内已确认 {len(rep.in_group)} 人；群成员名单未知，无法列出未确认者"
        )
    for line in rep.waiting:
        print(f"  未确认  {line.user_id:<16}{line.name}")
    for line in rep.confirmed:
        at = line.confirmed_at.astimezone(policy.tz).strftime("%m-%d %H:%M") if line.confirmed_at else ""
        print(f"  已确认  {line.user_id:<16}{line.name:<8}{at}{'（群内）' if line.in_group else ''}")
    for line in rep.in_group:
        at = line.confirmed_at.astimezone(policy.tz).strftime("%m-%d %H:%M") if line.confirmed_at else ""
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
    add.add_argument(
        "--to", help="对象，如 '@zhangsan 单位:U01 角色:组织员 群:wecom:群ID 全体'（xueshi、houbei 模板不需要）"
    )
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

    pv = s.add_parser("preview", help="学时预警、后备干部复核：下次检查点会提醒谁（不发送）")
    pv.add_argument("id", type=int, help="提醒编号（见 schedule list）")
    pv.add_argument("--by", help="记录为谁的操作")
    pv.set_defaults(func=run_command(schedule_records.preview))

    bh = s.add_parser("behind", help="学时进度落后的干部名单（学时预警汇总的明细）；可导出 CSV/XLSX")
    bh.add_argument("--unit", help="只列这个单位及下级单位（组织员的范围）")
    bh.add_argument("--export", metavar="FILE", help="导出到 .csv 或 .xlsx")
    bh.add_argument("--by", help="记录为谁的操作")
    bh.set_defaults(func=run_command(schedule_records.behind))

    rc = s.add_parser("receipts", help="会议通知的回执：谁已确认、谁还没有；可导出 CSV/XLSX")
    rc.add_argument("id", type=int, help="会议通知的提醒编号")
    rc.add_argument("--export", metavar="FILE", help="导出到 .csv 或 .xlsx")
    rc.set_defaults(func=run_command(_receipts))
