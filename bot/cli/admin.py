"""``orgbot admin``: personal web login for people without IM (and for the first admin): one-time links."""

from __future__ import annotations

import argparse
from zoneinfo import ZoneInfo

from bot.actor import cli_actor
from bot.auth.logins import Actor, LoginError, LoginService, landing_for
from bot.cli.runtime import fail, run_command, started_bot
from bot.config import Config


async def _login_link(args: argparse.Namespace, config: Config) -> int:
    async with started_bot(config) as bot:
        logins = LoginService(bot)
        try:
            holder = await logins.staff_user(args.user)
            landing = landing_for(bot, holder, console=not args.chat)
            link = await logins.issue_link(args.user, Actor(cli_actor().user_id, "cli", "cli"), landing)
        except LoginError as exc:
            return fail(str(exc))
    until = link.expires_at.astimezone(ZoneInfo(config.bot.timezone)).strftime("%H:%M")
    where = "管理后台" if landing == "/admin/" else "网页聊天"
    print(f"{link.name}（{link.user_id}）的一次性登录链接（{where}），{until} 前有效，只能使用一次：")
    print(link.url)
    return 0


async def _logout(args: argparse.Namespace, config: Config) -> int:
    async with started_bot(config) as bot:
        count = await LoginService(bot).end_all(args.user, Actor(cli_actor().user_id, "cli", "cli"))
    print(f"已让 {args.user} 的 {count} 个网页会话退出登录，未使用的登录链接也已作废。")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("admin", help="网页登录：打印一次性登录链接、强制退出")
    p.set_defaults(subparser=p)
    s = p.add_subparsers(title="admin commands", metavar="ACTION")
    link = s.add_parser("login-link", help="为某位人员打印一次性网页登录链接（[login] link_minutes 分钟内有效）")
    link.add_argument("user", metavar="USER", help="人员的用户 ID（见 orgbot staff list）")
    link.add_argument(
        "--chat", action="store_true", help="登录后打开网页聊天（默认：管理员和组织员打开管理后台 /admin/）"
    )
    link.set_defaults(func=run_command(_login_link))
    out = s.add_parser("logout", help="让某位人员的全部网页会话退出登录（如手机丢失）")
    out.add_argument("user", metavar="USER", help="人员的用户 ID")
    out.set_defaults(func=run_command(_logout))
