"""``orgbot data``: blank templates, validated all-or-nothing imports, and exports of the cadre register."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.actor import NotPermitted, cli_actor
from bot.cadres.data_service import blank_templates, export_register, import_sheets
from bot.cadres.exporter import FORMATS
from bot.cadres.importer import render_report
from bot.cadres.templates import BY_NAME, KINDS
from bot.cli.progress import ProgressBar
from bot.cli.runtime import fail, run_command, started_bot
from bot.config import Config

SMALL_IMPORT = 500  # rows: below this an import is over before a bar would help


async def run_import(args: argparse.Namespace, config: Config) -> int:
    paths = [Path(p) for p in args.files]
    bar = ProgressBar()
    bar.enabled = bar.enabled and not args.no_progress

    def progress(stage: str, done: int, total: int) -> None:
        if total >= SMALL_IMPORT:
            bar.update(stage, done, total)

    try:
        async with started_bot(config) as bot:
            report = await import_sheets(bot, cli_actor(), paths, dry_run=args.dry_run, progress=progress)
    finally:
        bar.close()
    if isinstance(report, NotPermitted):  # pragma: no cover - the CLI acts as an admin
        return fail("没有导入干部数据的权限")
    print(render_report(report, dry_run=args.dry_run))
    return 1 if report.issues else 0


async def _template(args: argparse.Namespace, config: Config) -> int:
    folder = Path(args.dir)
    kinds = [BY_NAME[k] for k in args.kind] if args.kind else list(KINDS)
    try:
        written = blank_templates(folder, args.format, kinds)
    except OSError as exc:
        return fail(f"无法写入 {folder}：{exc}", 1)
    print(f"已在 {folder} 生成 {len(written)} 个模板（带 * 的列必填；以“示例”开头的行导入时会跳过）：")
    for path in written:
        print(f"  {path}")
    print("填好后用 `orgbot data import 文件…` 导入；多个表可以一次导入，任何一行有错都不会导入。")
    return 0


async def _export(args: argparse.Namespace, config: Config) -> int:
    folder = Path(args.dir)
    kinds = [BY_NAME[k] for k in args.kind] if args.kind else list(KINDS)
    async with started_bot(config) as bot:
        export = await export_register(bot, cli_actor(), folder, args.format, kinds, full=args.full)
    if isinstance(export, NotPermitted):  # pragma: no cover - the CLI acts as an admin
        return fail("没有导出干部数据的权限")
    print(f"已导出到 {folder}：")
    for file in export.files:
        print(f"  {file.path}（{file.rows} 行）")
    if not args.full:
        print("身份证号只保留后 4 位；再次导入时脱敏的值不会覆盖原号码。需要完整号码请加 --full。")
    print("导出文件含个人信息，请妥善保管，用后删除。")
    return 0


def add_import_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help=".xlsx 或 .csv 文件，可一次给多个")
    p.add_argument("--dry-run", action="store_true", help="只检查并报告将要发生的变化，不写入数据库")
    p.add_argument("--no-progress", action="store_true", help="不显示进度条")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="干部数据导入导出（template / import / export）")
    p.set_defaults(subparser=p)
    s = p.add_subparsers(metavar="ACTION")
    kinds = [k.name for k in KINDS]
    kind_help = "只处理这些表：" + "、".join(f"{k.name}={k.title}" for k in KINDS) + "；可多次"

    t = s.add_parser("template", help="生成空白模板（人员、单位、干部、培训记录、后备干部各一个）")
    t.add_argument("dir", help="模板写到哪个目录")
    t.add_argument("--format", choices=FORMATS, default="xlsx", help="文件格式（默认 xlsx）")
    t.add_argument("--kind", action="append", choices=kinds, help=kind_help)
    t.set_defaults(func=run_command(_template))

    i = s.add_parser("import", help="导入表格：先逐行检查，全部无误才导入；按干部编号更新已有记录")
    add_import_arguments(i)
    i.set_defaults(func=run_command(run_import))

    e = s.add_parser("export", help="按模板格式导出全部数据")
    e.add_argument("dir", help="导出到哪个目录")
    e.add_argument("--format", choices=FORMATS, default="xlsx", help="文件格式（默认 xlsx）")
    e.add_argument("--kind", action="append", choices=kinds, help=kind_help)
    e.add_argument("--full", action="store_true", help="导出完整身份证号（默认只保留后 4 位）")
    e.set_defaults(func=run_command(_export))
