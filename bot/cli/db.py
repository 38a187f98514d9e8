"""``orgbot db``: apply and inspect schema migrations."""

from __future__ import annotations

import argparse

from bot.cli.runtime import run_command
from bot.config import Config
from bot.storage import migrate
from bot.storage.db import create_engine


async def _upgrade(args: argparse.Namespace, config: Config) -> int:
    engine = create_engine(config.database.url)
    try:
        before = await migrate.current_revision(engine)
        await migrate.upgrade(engine, args.revision)
        after = await migrate.current_revision(engine)
    finally:
        await engine.dispose()
    print(f"数据库结构：{before or '空'} → {after}" if before != after else f"数据库结构已是最新（{after}）")
    return 0


async def _current(args: argparse.Namespace, config: Config) -> int:
    engine = create_engine(config.database.url)
    try:
        current = await migrate.current_revision(engine)
    finally:
        await engine.dispose()
    head = migrate.head_revision()
    print(f"当前版本：{current or '空'}；最新版本：{head}" + ("（待升级）" if current != head else ""))
    return 0 if current == head else 1


async def _downgrade(args: argparse.Namespace, config: Config) -> int:
    engine = create_engine(config.database.url)
    try:
        await migrate.downgrade(engine, args.revision)
    finally:
        await engine.dispose()
    print(f"已降级到 {args.revision}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("db", help="数据库结构迁移与备份（upgrade / current / downgrade / backup / restore）")
    p.set_defaults(subparser=p)
    s = p.add_subparsers(metavar="ACTION")
    up = s.add_parser("upgrade", help="升级数据库结构到最新版本")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=run_command(_upgrade))
    cur = s.add_parser("current", help="显示当前数据库结构版本")
    cur.set_defaults(func=run_command(_current))
    down = s.add_parser("downgrade", help="降级数据库结构到指定版本（慎用）")
    down.add_argument("revision")
    down.set_defaults(func=run_command(_downgrade))
    from bot.cli.backup import add_backup_commands

    add_backup_commands(s)
