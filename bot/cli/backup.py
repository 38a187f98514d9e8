"""``orgbot db backup PATH`` / ``orgbot db restore PATH``: kept apart from the migration commands."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.backup import BackupError, backup, restore
from bot.cli.runtime import fail, run_command
from bot.config import Config
from bot.instance_lock import InstanceRunning
from bot.storage import migrate


async def _backup(args: argparse.Namespace, config: Config) -> int:
    try:
        done = await backup(config.database.url, Path(args.path))
    except BackupError as exc:
        return fail(str(exc), 1)
    print(f"{done.detail}（数据库结构版本 {done.revision or '空'}）")
    return 0


async def _restore(args: argparse.Namespace, config: Config) -> int:
    if not args.yes:
        return fail("恢复会用备份覆盖当前数据库的全部数据。确认无误后加 --yes 再运行。", 2)
    try:
        done = await restore(config.database.url, Path(args.path))
    except InstanceRunning as exc:
        return fail(f"拒绝恢复：{exc}。请先停止该实例（systemctl stop orgbot）。", 1)
    except BackupError as exc:
        return fail(str(exc), 1)
    print(f"{done.detail}（数据库结构版本 {done.revision or '空'}）")
    if done.revision != migrate.head_revision():
        print(f"备份的结构版本较旧：启动前请运行 `orgbot db upgrade`（最新为 {migrate.head_revision()}）。")
    return 0


def add_backup_commands(s: argparse._SubParsersAction) -> None:
    b = s.add_parser("backup", help="在线备份数据库（SQLite 用在线备份接口；PostgreSQL 调用 pg_dump）")
    b.add_argument("path", help="备份文件路径")
    b.set_defaults(func=run_command(_backup))
    r = s.add_parser("restore", help="从备份恢复数据库（有实例在运行时拒绝）")
    r.add_argument("path", help="备份文件路径")
    r.add_argument("--yes", action="store_true", help="确认覆盖当前数据库")
    r.set_defaults(func=run_command(_restore))
