"""``orgbot demo``: try the bot on this machine in one command, with fake demo data."""

from __future__ import annotations

import argparse
import asyncio
import socket
from pathlib import Path

from bot.app import OrgBot
from bot.cli.runtime import fail, started_bot
from bot.config import ConfigError, load_config
from bot.demo import demo_login_links, seed, write_demo_config
from bot.instance_lock import InstanceLock, InstanceRunning
from bot.logs import setup_logging
from bot.server import serve

DEFAULT_PORT = 8080


Links = list[tuple[str, str, str]]


def _banner(bot: OrgBot, url: str, config_path: Path, links: Links, console: Links) -> None:
    token = bot.api_token
    logins = "\n".join(f"  {label} {user_id}：{link}" for user_id, label, link in links)
    admin = "\n".join(f"  {label} {user_id}：{link}" for user_id, label, link in console)
    print(
        f"""
================ 组工助手 演示已启动 ================
网页聊天（【演示】身份直接登录；每个链接只能用一次，打开后点“登录”）：
{logins}
  链接用过后再要一个：orgbot admin login-link demo_admin --chat --config {config_path}
网页地址：  {url}
管理后台：  {url}admin/（一次性登录链接如下，打开后点“登录”）
{admin}
  链接用过后再要一个：orgbot admin login-link demo_organizer --config {config_path}
API 令牌：  {token}（演示配置 act_as = ["*"]：令牌可代表任何人，仅限演示）
终端聊天：  orgbot chat --config {config_path} --user demo_admin
HTTP 接口：
  curl -s {url}api/v1/chat -H 'Authorization: Bearer {token}' \\
       -H 'Content-Type: application/json' \\
       -d '{{"user_id": "demo_staff", "text": "/帮助"}}'
演示身份：demo_admin（管理员）、demo_organizer（组织员）、demo_staff（工作人员），
          其他任何 ID 都是访客。所有人员和干部数据均为虚构。
按 Ctrl+C 停止。
=====================================================""",
        flush=True,
    )


def _port_taken(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp does: TIME_WAIT is not "taken"
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def _demo(args: argparse.Namespace) -> int:
    folder = Path(args.dir)
    config_path = write_demo_config(folder, args.port or DEFAULT_PORT)
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        return fail(str(exc))
    if args.port:
        config.server.port = args.port
    if args.host:
        config.server.host = args.host
    setup_logging("WARNING")
    port = config.server.port
    # Both checks come before seeding: a second demo must not overwrite the first one's data.
    lock = InstanceLock(config.database.url)
    try:
        lock.acquire()
    except InstanceRunning as exc:
        return fail(f"演示已在运行：{exc}。可直接打开 http://{config.server.host}:{port}/，或先停止它。", 1)
    if _port_taken(config.server.host, port):
        lock.release()
        return fail(f"无法启动：端口 {port} 被占用。试试 --port {port + 1}（或设置 ORGBOT_SERVER_PORT）", 1)

    async def prepare() -> tuple[list[str], Links, Links]:
        async with started_bot(config) as bot:
            return await seed(bot), await demo_login_links(bot), await demo_login_links(bot, "/admin/")

    try:
        try:
            done, links, console = asyncio.run(prepare())
        finally:
            lock.release()
        for line in done:
            print(f"已载入：{line}", flush=True)
        if args.no_serve:
            print(f"演示数据已就绪。终端聊天：orgbot chat --config {config_path} --user demo_admin")
            return 0
        setup_logging(config.log.level, json_format=config.log.format == "json")
        asyncio.run(serve(config, on_ready=lambda bot, url: _banner(bot, url, config_path, links, console)))
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        return fail(f"无法启动：{exc}（端口 {port} 被占用？试试 --port {port + 1}）", 1)
    except InstanceRunning as exc:
        return fail(f"演示已在运行：{exc}", 1)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="一条命令试用：用演示数据启动机器人（SQLite，无需企业 IM）")
    p.add_argument("--dir", default="data/demo", help="演示数据目录（默认 data/demo）")
    p.add_argument("--port", type=int, help=f"HTTP 端口（默认取 ORGBOT_SERVER_PORT 或演示配置，初次为 {DEFAULT_PORT}）")
    p.add_argument("--host", help="监听地址（默认 127.0.0.1）")
    p.add_argument("--no-serve", action="store_true", help="只准备演示数据，不启动服务")
    p.set_defaults(func=_demo)
