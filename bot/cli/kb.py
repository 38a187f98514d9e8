"""``orgbot kb``: the knowledge base — import, list, remove, stats, unanswered, hit testing."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bot import kb_admin
from bot.actor import NotPermitted, cli_actor
from bot.cli.progress import ProgressBar
from bot.cli.runtime import fail, run_command, started_bot
from bot.clock import local_minute
from bot.config import Config

STAGES = {"parse": "读取", "write": "写入", "index": "建索引"}
DENIED = "没有管理知识库的权限"


async def _import(args: argparse.Namespace, config: Config) -> int:
    bar = ProgressBar()
    async with started_bot(config) as bot:
        try:
            report = await kb_admin.import_documents(
                bot, cli_actor(), args.paths, progress=lambda s, d, t, f: bar.update(STAGES.get(s, s), d, t, f)
            )
        finally:
            bar.close()
    if isinstance(report, NotPermitted):
        return fail(DENIED)
    if isinstance(report, kb_admin.ImportRejected):
        print("导入失败，知识库没有任何改动：", flush=True)
        for err in report.errors:
            print(f"  ✗ {err}")
        return 1
    groups = (
        ("新增", report.added),
        ("更新", report.updated),
        ("未变", report.unchanged),
        ("跳过（非正文文件）", report.skipped),
    )
    for label, names in groups:
        if names:
            print(f"{label} {len(names)} 个：{'、'.join(names)}")
    print(f"共写入 {report.passages} 个段落、{report.faq_entries} 条常见问题。")
    return 0


async def _list(args: argparse.Namespace, config: Config) -> int:
    async with started_bot(config) as bot:
        groups = await kb_admin.documents(bot, cli_actor())
    if isinstance(groups, NotPermitted):
        return fail(DENIED)
    if not groups:
        print("知识库是空的。用 `orgbot kb import 文件或目录` 导入文档。")
        return 0
    print(f"{'文档键':<40}{'段落':>6}  状态    标题")
    for d in sorted((d for g in groups for d in g.versions), key=lambda d: d.id):
        state = "现行" if d.is_current else "已被替代"
        issued = (
            f"（{d.issuer or ''}{' ' if d.issuer and d.issued_on else ''}{d.issued_on or ''}）"
            if (d.issuer or d.issued_on)
            else ""
        )
        print(f"{d.doc_key:<40}{d.passages:>6}  {state:<6}  {d.title}{issued}")
    return 0


async def _remove(args: argparse.Namespace, config: Config) -> int:
    async with started_bot(config) as bot:
        removed = await kb_admin.remove_document(bot, cli_actor(), args.doc)
    if isinstance(removed, NotPermitted):
        return fail(DENIED)
    if not removed:
        return fail(f"知识库里没有文档 {args.doc}（用 `orgbot kb list` 查看文档键）", 1)
    print(f"已删除 {args.doc}")
    return 0


async def _stats(args: argparse.Namespace, config: Config) -> int:
    async with started_bot(config) as bot:
        stats = await kb_admin.overview(bot, cli_actor())
    if isinstance(stats, NotPermitted):
        return fail(DENIED)
    labels = {
        "documents": "文档",
        "current_documents": "现行文档",
        "faq_sheets": "常见问题表",
        "passages": "段落",
        "faq_entries": "常见问题",
        "terms": "索引词项",
        "unanswered": "未解答问题",
        "feedback": "反馈",
    }
    for key, label in labels.items():
        if key in stats:
            print(f"{label}：{stats[key]}")
    return 0


async def _unanswered(args: argparse.Namespace, config: Config) -> int:
    export = Path(args.export) if args.export else None
    if export and export.suffix.lower() not in (".csv", ".xlsx"):
        return fail("导出文件的扩展名应为 .csv 或 .xlsx")
    if export:
        async with started_bot(config) as bot:
            count = await kb_admin.export_unanswered(bot, cli_actor(), export)
        if isinstance(count, NotPermitted):
            return fail(DENIED)
        print(f"已导出 {count} 个未解答问题到 {export}；填好“答案”列后可用 orgbot kb import 导入为常见问题")
        return 0
    async with started_bot(config) as bot:
        rows = await kb_admin.unanswered(bot, cli_actor(), limit=args.limit or 50)
    if isinstance(rows, NotPermitted):
        return fail(DENIED)
    if not rows:
        print("没有未解答的问题。")
        return 0
    for row in rows:
        score_text = f"  最接近 {row.best_score:.2f}" if isinstance(row.best_score, float) else ""
        print(
            f"#{row.id}  {local_minute(row.asked_at, config.bot.timezone)}  "
            f"{row.asked_by or '-'}  {row.question}{score_text}"
        )
    print("\n补上答案：orgbot kb faq-add --from-unanswered 编号 --answer 答案 [--source 出处]")
    return 0


async def _faq_add(args: argparse.Namespace, config: Config) -> int:
    if not args.answer.strip():
        return fail("答案不能为空")
    if args.from_unanswered is None and not (args.question or "").strip():
        return fail("请给出 --question 问题，或用 --from-unanswered 编号")
    async with started_bot(config) as bot:
        if args.from_unanswered is not None:
            made = await kb_admin.answer_unanswered(
                bot, cli_actor(), args.from_unanswered, args.answer, source=args.source or ""
            )
        else:
            made = await kb_admin.add_faq(
                bot,
                cli_actor(),
                args.question,
                args.answer,
                alternates=args.alt,
                tags=args.tag,
                source=args.source or "",
            )
    if isinstance(made, NotPermitted):
        return fail(DENIED)
    if isinstance(made, kb_admin.NoSuchQuestion):
        return fail(f"没有编号为 {made.id} 的未解答问题（用 `orgbot kb unanswered` 查看编号）", 1)
    moved = "（已从未解答列表移除）" if args.from_unanswered is not None else ""
    print(f"已添加常见问题 #{made.id}：{made.question}{moved}")
    return 0


async def _feedback(args: argparse.Namespace, config: Config) -> int:
    async with started_bot(config) as bot:
        rows = await kb_admin.feedback(bot, cli_actor(), args.limit, negative_only=not args.all)
    if isinstance(rows, NotPermitted):
        return fail(DENIED)
    if not rows:
        print("没有反馈。")
        return 0
    for r in rows:
        where = f"  出处 {r.locator or r.doc_key}" if (r.locator or r.doc_key) else ""
        binding = "（管理员：已撤下该条款）" if r.binding else ""
        print(
            f"#{r.id}  {local_minute(r.at, config.bot.timezone)}  {r.user_id or '-'}  {r.verdict}{binding}  "
            f"问：{r.question[:60]}{where}"
        )
    return 0


async def _test(args: argparse.Namespace, config: Config) -> int:
    async with started_bot(config) as bot:
        report = await kb_admin.hit_test(bot, cli_actor(), args.question, limit=args.limit)
    if isinstance(report, NotPermitted):
        return fail(DENIED)
    if args.json:
        print(json.dumps(report.data, ensure_ascii=False, indent=2, default=str))
        return 0
    print(f"问题：{report.question}")
    print(f"规范化：{report.normalized}")
    for typed, fixed in report.typo_fixes:
        print(f"纠错：{typed} → {fixed}")
    print("检索词（权重 / 同义扩展）：")
    for c in report.clauses:
        alts = [a for a in c.alternatives if a != c.text]
        print(f"  {c.text}  {c.weight}" + (f"  ⇄ {'、'.join(alts)}" if alts else ""))
    print("候选（按排序分从高到低；排序分 = 匹配度 + 相关度加成，缺少问题概念的打折）：")
    for i, hit in enumerate(report.candidates, 1):
        print(
            f"  {i}. [排序 {hit.rank:.3f}｜匹配度 {hit.score:.3f}] {hit.citation}  "
            f"bm25={hit.bm25} 覆盖={hit.coverage} 匹配={'、'.join(hit.matched)}"
        )
        print(f"     {hit.snippet[:80].replace(chr(10), ' ')}")
    names = {"answered": "直接回答", "clarify": "反问澄清", "unknown": "无法回答"}
    print(f"决定：{names.get(report.status, report.status)}")
    why = "为什么回答" if report.status == "answered" else "为什么没有直接回答"
    print(f"{why}：{report.reason}")
    if report.contributions:
        print("各项证据（取值 → 对答对概率的影响，正数支持回答）：")
        for signal, value, effect in report.contributions:
            if effect:
                print(f"  {signal}：{value} → {effect:+.2f}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "kb", help="知识库管理（import / list / remove / stats / unanswered / faq-add / feedback / test）"
    )
    p.set_defaults(subparser=p)
    s = p.add_subparsers(metavar="ACTION")
    imp = s.add_parser("import", help="导入文档或目录（txt、md、docx、pdf、常见问题表 xlsx/csv）")
    imp.add_argument("paths", nargs="+", metavar="PATH")
    imp.set_defaults(func=run_command(_import))
    s.add_parser("list", help="列出知识库文档").set_defaults(func=run_command(_list))
    rm = s.add_parser("remove", help="删除一个文档（按文档键）")
    rm.add_argument("doc", metavar="DOC")
    rm.set_defaults(func=run_command(_remove))
    s.add_parser("stats", help="知识库统计").set_defaults(func=run_command(_stats))
    un = s.add_parser("unanswered", help="列出没能回答的问题")
    un.add_argument("--limit", type=int, help="最多多少条（列出时默认 50，导出时默认全部）")
    un.add_argument("--export", metavar="FILE", help="导出到 .csv 或 .xlsx，填好答案后可直接 orgbot kb import")
    un.set_defaults(func=run_command(_unanswered))
    fa = s.add_parser("faq-add", help="添加一条常见问题（如把未解答的问题补上答案）")
    fa.add_argument("--question", help="问题（或用 --from-unanswered 引用未解答问题的编号）")
    fa.add_argument(
        "--from-unanswered", type=int, metavar="ID", help="把 orgbot kb unanswered 列出的第 ID 号问题补上答案"
    )
    fa.add_argument("--answer", required=True)
    fa.add_argument("--alt", action="append", default=[], help="其他问法，可多次")
    fa.add_argument("--tag", action="append", default=[], help="标签，可多次")
    fa.add_argument("--source", help="出处，如《某某通知》第三条")
    fa.set_defaults(func=run_command(_faq_add))
    fb = s.add_parser("feedback", help="列出对回答的反馈（默认只列“不对”等否定反馈）")
    fb.add_argument("--limit", type=int, default=50)
    fb.add_argument("--all", action="store_true", help="也列出“有用”等其他反馈")
    fb.set_defaults(func=run_command(_feedback))
    t = s.add_parser("test", help="命中测试：显示候选段落、分数和决定的理由")
    t.add_argument("question")
    t.add_argument("--limit", type=int, default=8)
    t.add_argument("--json", action="store_true", help="输出 JSON")
    t.set_defaults(func=run_command(_test))
