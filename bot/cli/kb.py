"""``orgbot kb``: the knowledge base — import, list, remove, stats, unanswered, hit testing."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bot.cadres.sheets import write_table
from bot.cli.progress import ProgressBar
from bot.cli.runtime import fail, run_command, started_bot
from bot.clock import local_minute
from bot.config import Config
from knowledge import KnowledgeImportError

STAGES = {"parse": "读取", "write": "写入", "index": "建索引"}


async def _import(args: argparse.Namespace, config: Config) -> int:
    bar = ProgressBar()
    async with started_bot(config) as bot:
        kb = await bot.kb.get()
        try:
            report = await kb.import_paths(
                args.paths, progress=lambda s, d, t, f: bar.update(STAGES.get(s, s), d, t, f)
            )
        except KnowledgeImportError as exc:
            bar.close()
            print("导入失败，知识库没有任何改动：", flush=True)
            for err in exc.errors:
                print(f"  ✗ {err}")
            return 1
        finally:
            bar.close()
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
        docs = await (await bot.kb.get()).list_documents()
    if not docs:
        print("知识库是空的。用 `orgbot kb import 文件或目录` 导入文档。")
        return 0
    print(f"{'文档键':<40}{'段落':>6}  状态    标题")
    for d in docs:
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
        removed = await (await bot.kb.get()).remove(args.doc)
    if not removed:
        return fail(f"知识库里没有文档 {args.doc}（用 `orgbot kb list` 查看文档键）", 1)
    print(f"已删除 {args.doc}")
    return 0


async def _stats(args: argparse.Namespace, config: Config) -> int:
    async with started_bot(config) as bot:
        stats = await (await bot.kb.get()).stats()
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


UNANSWERED_HEADERS = ("问题", "答案", "相似问法", "标签", "出处", "提问时间", "提问人", "最接近得分")


def _export_unanswered(path: Path, rows: list[dict], timezone: str) -> None:
    """An FAQ sheet to fill in: the question and answer columns are what `orgbot kb import` reads back."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = [
        [
            row["question"], "", "", "", "", local_minute(row.get("created_at"), timezone),
            row.get("asked_by") or "", row.get("best_score"),
        ]
        for row in rows
    ]  # fmt: skip
    write_table(path, "未解答问题", UNANSWERED_HEADERS, table)


async def _unanswered(args: argparse.Namespace, config: Config) -> int:
    export = Path(args.export) if args.export else None
    if export and export.suffix.lower() not in (".csv", ".xlsx"):
        return fail("导出文件的扩展名应为 .csv 或 .xlsx")
    limit = args.limit or (1_000_000 if export else 50)
    async with started_bot(config) as bot:
        rows = await (await bot.kb.get()).unanswered_questions(limit=limit)
    if export:
        _export_unanswered(export, rows, config.bot.timezone)
        print(f"已导出 {len(rows)} 个未解答问题到 {export}；填好“答案”列后可用 orgbot kb import 导入为常见问题")
        return 0
    if not rows:
        print("没有未解答的问题。")
        return 0
    for row in rows:
        score = row.get("best_score")
        score_text = f"  最接近 {score:.2f}" if isinstance(score, float) else ""
        print(
            f"#{row['id']}  {local_minute(row.get('created_at'), config.bot.timezone)}  "
            f"{row.get('asked_by') or '-'}  {row['question']}{score_text}"
        )
    print("\n补上答案：orgbot kb faq-add --from-unanswered 编号 --answer 答案 [--source 出处]")
    return 0


async def _faq_add(args: argparse.Namespace, config: Config) -> int:
    if not args.answer.strip():
        return fail("答案不能为空")
    if args.from_unanswered is not None:
        async with started_bot(config) as bot:
            made = await (await bot.kb.get()).faq_from_unanswered(
                args.from_unanswered, args.answer, source=args.source or ""
            )
        if made is None:
            return fail(f"没有编号为 {args.from_unanswered} 的未解答问题（用 `orgbot kb unanswered` 查看编号）", 1)
        print(f"已添加常见问题 #{made[0]}：{made[1]}（已从未解答列表移除）")
        return 0
    if not (args.question or "").strip():
        return fail("请给出 --question 问题，或用 --from-unanswered 编号")
    async with started_bot(config) as bot:
        faq_id = await (await bot.kb.get()).add_faq(
            args.question, args.answer, alternates=args.alt, tags=args.tag, source=args.source or ""
        )
    print(f"已添加常见问题 #{faq_id}：{args.question}")
    return 0


async def _test(args: argparse.Namespace, config: Config) -> int:
    async with started_bot(config) as bot:
        report = await (await bot.kb.get()).explain(args.question, limit=args.limit)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
        return 0
    print(f"问题：{report['question']}")
    print(f"规范化：{report['normalized']}")
    for fix in report.get("typo_fixes", []):
        print(f"纠错：{fix['typed']} → {fix['fixed']}")
    print("检索词（权重 / 同义扩展）：")
    for c in report["clauses"]:
        alts = [a for a in c["alternatives"] if a != c["text"]]
        print(f"  {c['text']}  {c['weight']}" + (f"  ⇄ {'、'.join(alts)}" if alts else ""))
    print("候选（按排序分从高到低；排序分 = 匹配度 + 相关度加成，缺少问题概念的打折）：")
    for i, c in enumerate(report["candidates"], 1):
        print(
            f"  {i}. [排序 {c['rank']:.3f}｜匹配度 {c['score']:.3f}] {c['citation']}  "
            f"bm25={c['bm25']} 覆盖={c['coverage']} 匹配={'、'.join(c['matched'])}"
        )
        print(f"     {c['snippet'][:80].replace(chr(10), ' ')}")
    decision = report["decision"]
    names = {"answered": "直接回答", "clarify": "反问澄清", "unknown": "无法回答"}
    print(f"决定：{names.get(decision['status'], decision['status'])}")
    why = "为什么回答" if decision["status"] == "answered" else "为什么没有直接回答"
    print(f"{why}：{decision['reason']}")
    if decision.get("contributions"):
        print("各项证据（取值 → 对答对概率的影响，正数支持回答）：")
        for row in decision["contributions"]:
            if row["effect"]:
                print(f"  {row['signal']}：{row['value']} → {row['effect']:+.2f}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("kb", help="知识库管理（import / list / remove / stats / unanswered / faq-add / test）")
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
    t = s.add_parser("test", help="命中测试：显示候选段落、分数和决定的理由")
    t.add_argument("question")
    t.add_argument("--limit", type=int, default=8)
    t.add_argument("--json", action="store_true", help="输出 JSON")
    t.set_defaults(func=run_command(_test))
