"""``orgbot outbox``: what is waiting, what failed and why, and retrying it."""

from __future__ import annotations

import argparse

from bot.cli.runtime import run_command, started_bot
from bot.config import Config
from bot.scheduling.outbox import STATUS_LABELS, count_by_status, list_rows, retry
from bot.scheduling.rules import Policy


async def _list(args: argparse.Namespace, config: Config) -> int:
    policy = Policy.from_config(config)
    statuses = ["failed"] if args.failed else ["pending", "sending"] if args.pending else None
    async with started_bot(config) as bot, bot.db() as session:
        counts = await count_by_status(session)
        rows = await list_rows(session, statuses, args.limit)
    summary = "，".join(f"{STATUS_LABELS.get(k, k)} {v}" for k, v in sorted(counts.items())) or "空"
    print(f"发件箱：{summary}")
    if not rows:
        print("（没有符合条件的推送）")
        return 0
    for r in rows:
        when = r.fire_at.astimezone(policy.tz).strftime("%m-%d %H:%M")
        to = f"{r.channel}:{r.user_id or r.chat_id}"
        line = f"#{r.id:<7}{STATUS_LABELS.get(r.status, r.status):<5}{when}  {to:<28}尝试 {r.attempts} 次  {r.text.splitlines()[0][:30]}"
        print(line)
        if r.last_error:
            print(f"         错误：{r.last_error[:200]}")
    if args.failed:
        print("重试：orgbot outbox retry（全部）或 orgbot outbox retry 编号…")
    return 0


async def _retry(args: argparse.Namespace, config: Config) -> int:
    async with started_bot(config) as bot, bot.db() as session, session.begin():
        count = await retry(session, bot.clock.now(), args.ids)
    print(f"已重新排队 {count} 条失败的推送；运行中的服务会按频率限制重新发送。")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("outbox", help="推送发件箱：list [--failed] / retry")
    p.set_defaults(subparser=p)
    s = p.add_subparsers(metavar="ACTION")
    ls = s.add_parser("list", help="查看发件箱（默认最近 50 条）")
    ls.add_argument("--failed", action="store_true", help="只看发送失败的")
    ls.add_argument("--pending", action="store_true", help="只看待发送的")
    ls.add_argument("--limit", type=int, default=50)
    ls.set_defaults(func=run_command(_list))
    rt = s.add_parser("retry", help="重试失败的推送（不给编号则全部）")
    rt.add_argument("ids", type=int, nargs="*")
    rt.set_defaults(func=run_command(_retry))
