"""``orgbot db``: apply and inspect schema migrations; print the least-privilege roles."""

from __future__ import annotations

import argparse

from bot.cli.runtime import fail, run_command
from bot.config import Config
from bot.storage import migrate
from bot.storage.db import create_engine
from bot.storage.db_roles import RoleNameError, RoleNames, render


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


def _roles(args: argparse.Namespace) -> int:
    try:
        names = RoleNames(owner=args.owner, service=args.service, database=args.database)
    except RoleNameError as exc:
        return fail(str(exc))
    print(render(names), end="")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "db", help="数据库结构迁移、权限与备份（upgrade / current / downgrade / roles / backup / restore）"
    )
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
    roles = s.add_parser(
        "roles",
        help="打印 PostgreSQL 最小权限角色的 SQL（owner 跑迁移，service 日常运行、不能清空审计日志）",
    )
    roles.add_argument("--owner", default=RoleNames.owner, help=f"拥有表结构、运行迁移的角色（默认 {RoleNames.owner}）")
    roles.add_argument("--service", default=RoleNames.service, help=f"服务日常运行的角色（默认 {RoleNames.service}）")
    roles.add_argument("--database", default=RoleNames.database, help=f"数据库名（默认 {RoleNames.database}）")
    roles.set_defaults(func=_roles)
    from bot.cli.backup import add_backup_commands

    add_backup_commands(s)
