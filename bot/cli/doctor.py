"""``orgbot doctor``: check the configuration, database, folders, platforms, clock, holidays and exposure."""

from __future__ import annotations

import argparse

from bot.cli.runtime import run_command
from bot.config import Config
from bot.doctor import Level, redact, run_checks, secret_values

MARKS = {Level.OK: "✓", Level.WARN: "!", Level.PROBLEM: "✗"}


async def _doctor(args: argparse.Namespace, config: Config) -> int:
    findings = await run_checks(config)
    secrets = secret_values(config)
    for f in findings:
        if f.level is Level.OK and args.quiet:
            continue
        print(redact(f"{MARKS[f.level]} [{f.check}] {f.message}", secrets), flush=True)
    problems = sum(f.level is Level.PROBLEM for f in findings)
    warnings = sum(f.level is Level.WARN for f in findings)
    if problems:
        print(f"发现 {problems} 个问题、{warnings} 条提醒：请按上面的说明修正后再运行 orgbot doctor。")
        return 1
    print(f"检查通过（{warnings} 条提醒）。")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="部署自检：配置、数据库、文件夹、平台凭据、时钟、节假日数据、暴露面")
    p.add_argument("--quiet", action="store_true", help="只显示问题和提醒")
    p.set_defaults(func=run_command(_doctor))
