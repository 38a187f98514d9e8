"""``orgbot audit``: read the append-only audit trail of lookups, imports and exports."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.actor import NotPermitted, cli_actor
from bot.audit_service import AuditQueryError, audit_filter, export_log, read_log
from bot.audit_trail import AuditFilter
from bot.cli.runtime import fail, run_command, started_bot
from bot.config import Config


def _filter(args: argparse.Namespace) -> AuditFilter:
    return audit_filter(
        user=args.user, cadre=args.cadre, action=args.action, outcome=args.outcome, since=args.since, until=args.until
    )


async def _list(args: argparse.Namespace, config: Config) -> int:
    try:
        f = _filter(args)
    except AuditQueryError as exc:
        return fail(str(exc))
    async with started_bot(config) as bot:
        page = await read_log(bot, cli_actor(), f, page=args.page, per_page=args.limit)
    if isinstance(page, NotPermitted):  # pragma: no cover - the CLI acts as an admin
        return fail("没有查看审计日志的权限")
    if not page.rows:
        print("没有符合条件的审计记录。")
        return 0
    for e in page.rows:
        line = f"{e.at:%Y-%m-%d %H:%M:%S}  {e.actor}（{e.actor_role}）@{e.channel}:{e.chat_id}  {e.action}  {e.outcome}"
        if e.subject:
            line += f"  干部 {e.subject}"
        if e.query:
            line += f"  问：{e.query[:60]}"
        if e.detail:
            line += f"  [{e.detail[:80]}]"
        print(line)
    where = "最近" if page.page == 1 else f"第 {page.page}/{page.pages} 页"
    print(
        f"（显示{where} {len(page.rows)} 条，共 {page.total} 条；用 --limit、--page 翻看，或用 orgbot audit export 导出全部）"
    )
    return 0


async def _export(args: argparse.Namespace, config: Config) -> int:
    try:
        f = _filter(args)
        async with started_bot(config) as bot:
            done = await export_log(bot, cli_actor(), f, Path(args.file))
    except AuditQueryError as exc:
        return fail(str(exc))
    if isinstance(done, NotPermitted):  # pragma: no cover - the CLI acts as an admin
        return fail("没有导出审计日志的权限")
    print(f"已导出 {done.rows} 条审计记录到 {done.path}")
    return 0


def _filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", help="操作人用户 ID")
    p.add_argument("--cadre", help="被查询的干部编号")
    p.add_argument("--action", help="操作类型，如 cadre（全部干部查询）、cadre.training、data.import")
    p.add_argument("--outcome", help="结果，如 allowed、denied、not_found、invalid、rate_limited")
    p.add_argument("--since", help="起始日期（含），如 2026-11-01")
    p.add_argument("--until", help="截止日期（含），如 2026-11-30")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("audit", help="审计日志：谁在何时查询了谁（list / export）")
    p.set_defaults(subparser=p)
    s = p.add_subparsers(metavar="ACTION")
    ls = s.add_parser("list", help="列出审计记录（最近的在最后）")
    _filters(ls)
    ls.add_argument("--limit", type=int, default=50, help="每页多少条（默认 50）")
    ls.add_argument("--page", type=int, default=1, help="第几页，1 为最近的一页（默认 1）")
    ls.set_defaults(func=run_command(_list))
    ex = s.add_parser("export", help="把审计记录导出为 .csv 或 .xlsx")
    ex.add_argument("file", help="导出文件，如 audit.xlsx")
    _filters(ex)
    ex.set_defaults(func=run_command(_export))
