"""``orgbot run``: the production entry point."""

from __future__ import annotations

import argparse

from bot.app import OrgBot
from bot.cli.runtime import fail, run_command
from bot.config import Config
from bot.server import PortInUse, serve
from bot.storage.connection_errors import where


async def _run(args: argparse.Namespace, config: Config) -> int:
    def ready(bot: OrgBot, url: str) -> None:
        print(f"orgbot 已启动：{url}（配置：{config.source}；数据库：{where(config.database.url)}）", flush=True)
        if not config.api.token:
            print(f"未配置 [api] token，本次运行的临时令牌：{bot.api_token}", flush=True)

    try:
        await serve(config, host=args.host, port=args.port, on_ready=ready)
    except PortInUse as exc:
        return fail(f"无法启动：{exc.strerror}。换一个端口试试：orgbot run --port {_port(args, config) + 1}", 1)
    return 0


def _port(args: argparse.Namespace, config: Config) -> int:
    return int(args.port or config.server.port)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="启动机器人服务（HTTP、企业 IM 回调、定时推送）")
    p.add_argument("--host", help="监听地址（默认取 [server] host）")
    p.add_argument("--port", type=int, help="监听端口（默认取 [server] port）")
    p.set_defaults(func=run_command(_run), quiet_logs=False)
