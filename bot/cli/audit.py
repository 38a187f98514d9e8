"""``orgbot audit``: read the append-only audit trail of lookups, imports and exports."""

from __future__ import annotations

import argparse
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.audit_trail import HEADERS, AuditFilter, as_row, fetch
from bot.cadres.cli_audit import audit_cli
from bot.cadres.dates import DateError, parse_date
from bot.cadres.ids import normalize_cadre_id
from bot.cadres.sheets import write_table
from bot.cli.runtime import fail, run_command, started_bot
from bot.config import Config


def _filter(args: argparse.Namespace) -> AuditFilter:
    try:
        since = parse_date(args.since) if args.since else None
        until = parse_date(args.until) if args.until else None
    except DateError as exc:
        raise ValueError(f"日期有误：{exc}") from None
    if since and until and until < since:
        raise ValueError("--until 早于 --since")
    return AuditFilter(
        user=args.user,
        cadre=normalize_cadre_id(args.cadre) if args.cadre else None,
        action=args.action,
        outcome=args.outcome,
        since=since,
        until=until,
    )


async def _list(args: argparse.Namespace, config: Config) -> int:
    try:
        f = _filter(args)
    except ValueError as exc:
        return fail(str(exc))
    tz = ZoneInfo(config.bot.timezone)
    async with started_bot(config) as bot, bot.db() as session:
        entries = await fetch(session, f, tz, limit=args.limit)
    if not entries:
        print("没有符合条件的审计记录。")
        return 0
    for e in entries:
        t, actor, role, channel, chat, action, query, subject, outcome, detail = as_row(e, tz)
        line = f"{t}  {actor}（{role}）@{channel}:{chat}  {action}  {outcome}"
        if subject:
            line += f"  干部 {subject}"
        if query:
            line += f"  问：{query[:60]}"
        if detail:
            line += f"  [{detail[:80]}]"
        print(line)
    print(f"（显示最近 {len(entries)} 条；用 --limit 调整，或用 orgbot audit export 导出全部）")
    return 0


async def _export(args: argparse.Namespace, config: Config) -> int:
    try:
        f = _filter(args)
    except ValueError as exc:
        return fail(str(exc))
    path = Path(args.file)
    if path.suffix.lower() not in (".csv", ".xlsx"):
        return fail("导出文件的扩展名应为 .csv 或 .xlsx")
    tz = ZoneInfo(config.bot.timezone)
    async with started_bot(config) as bot:
        async with bot.db() as session:
            entries = await fetch(session, f, tz)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_table(path, "审计日志", HEADERS, (as_row(e, tz) for e in entries))
        await audit_cli(bot, "audit.export", "ok", query=str(path), detail=f"{len(entries)} rows")
    print(f"已导出 {len(entries)} 条审计记录到 {path}")
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
    ls.add_argument("--limit", type=int, default=50, help="最多显示多少条（默认 50）")
    ls.set_defaults(func=run_command(_list))
    ex = s.add_parser("export", help="把审计记录导出为 .csv 或 .xlsx")
    ex.add_argument("file", help="导出文件，如 audit.xlsx")
    _filters(ex)
    ex.set_defaults(func=run_command(_export))
