"""``orgbot schedule add --template xueshi|houbei`` and ``orgbot schedule preview``: reminders from
the records, from the command line (the CLI acts with an admin's reach)."""

from __future__ import annotations

import argparse
import getpass
from datetime import timedelta
from pathlib import Path

from bot.access import Access
from bot.actor import Actor
from bot.cadres import alert_text
from bot.cadres.sheets import write_table
from bot.cadres.units import subtree_codes
from bot.cli.runtime import fail, started_bot
from bot.config import Config
from bot.roles import Role
from bot.scheduling import record_alerts
from bot.scheduling import schedules as sched
from bot.scheduling.rules import Policy, describe_rule
from bot.scheduling.templates import Template


def _actor(args: argparse.Namespace) -> str:
    return args.by or f"cli:{getpass.getuser()}"


def cli_access(args: argparse.Namespace) -> Access:
    return Access(_actor(args), Role.ADMIN)


def cli_actor(args: argparse.Namespace) -> Actor:
    return Actor(cli_access(args), "cli", audit_role="cli")


async def add(args: argparse.Namespace, config: Config, template: Template) -> int:
    """One schedule per checkpoint in --when (default: the template's), previewed before --yes."""
    policy = Policy.from_config(config)
    when = args.when or template.default_when
    async with started_bot(config) as bot:
        now = bot.clock.now() - timedelta(seconds=1)
        try:
            rules = record_alerts.checkpoint_rules(when, now.astimezone(policy.tz))
        except sched.ScheduleError as exc:
            return fail(str(exc))
        print(f"{template.name}：{len(rules)} 个检查点")
        for label, rule in rules:
            print(f"  {label}：{describe_rule(rule, policy)}")
        if not args.yes:
            print(
                "（预览，未创建。确认无误后加 --yes 创建；创建后可用 orgbot schedule preview 编号 查看届时会提醒谁。）"
            )
            return 0
        try:
            async with bot.db() as session, session.begin():
                done = await record_alerts.enable(session, template, when, cli_actor(args), now, policy)
        except sched.ScheduleError as exc:
            return fail(str(exc))
    for schedule in done.created:
        print(f"已创建 #{schedule.id} {schedule.name}")
    for label in done.skipped:
        print(f"检查点 {label} 已启用，未重复创建")
    return 0


async def preview(args: argparse.Namespace, config: Config) -> int:
    policy = Policy.from_config(config)
    actor = cli_actor(args)
    viewer = actor.access
    async with started_bot(config) as bot, bot.db() as session:
        try:
            p = await record_alerts.preview(session, args.id, actor, bot.clock.now(), policy, config.cadres)
        except sched.ScheduleError as exc:
            return fail(str(exc))
    print(alert_text.preview_text(p.schedule_id, p.name, p.at, p.training, p.reserve, viewer, policy.tz))
    return 0


async def behind(args: argparse.Namespace, config: Config) -> int:
    """The full list behind a 学时 summary (one organizer's units with --unit), shown or exported."""
    policy = Policy.from_config(config)
    path = Path(args.export) if args.export else None
    if path is not None and path.suffix.lower() not in (".csv", ".xlsx"):
        return fail("导出文件的扩展名应为 .csv 或 .xlsx")
    async with started_bot(config) as bot:
        now = bot.clock.now()
        day = now.astimezone(policy.tz).date()
        async with bot.db() as session, session.begin():
            viewer = cli_access(args)
            if args.unit:
                units = frozenset(await subtree_codes(session, args.unit))
                viewer = Access(viewer.user_id, Role.ORGANIZER, unit_scope=args.unit, units=units)
            actor = Actor(viewer, "cli", audit_role="cli")
            rows = await record_alerts.behind_list(session, actor, now, policy, config.cadres, export=path is not None)
    if path is None:
        print(alert_text.behind_list(rows, day))
        return 0
    write_table(path, "学时进度落后", alert_text.EXPORT_HEADERS, alert_text.export_rows(rows))
    print(f"已导出 {len(rows)} 行到 {path}")
    return 0
