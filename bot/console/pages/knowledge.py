"""知识库 (admins): documents and versions, all-or-nothing upload, remove, hit test, unanswered → FAQ."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.console.routes import RouteTable
from bot.console.uploads import save_uploads
from bot.console.visit import Visit
from bot.roles import Role
from knowledge import KnowledgeImportError

routes = RouteTable()

UPLOAD_SUFFIXES = (".docx", ".pdf", ".txt", ".md", ".xlsx", ".csv")
DECISIONS = {"answered": "直接回答", "clarify": "反问澄清", "unknown": "不回答（建议联系人工）"}


@routes.get("/knowledge", role=Role.ADMIN)
async def documents(v: Visit) -> web.StreamResponse:
    kb = await v.bot.kb.get()
    docs = await kb.list_documents()
    pager = v.pager(len(docs))
    return v.render(
        "knowledge.html", docs=docs[pager.offset : pager.offset + pager.size], pager=pager, stats=await kb.stats()
    )


@routes.post("/knowledge/upload", role=Role.ADMIN, action="kb.import")
async def upload(v: Visit) -> web.StreamResponse:
    kb = await v.bot.kb.get()
    errors: list[str] = []
    report = None
    with tempfile.TemporaryDirectory(prefix="orgbot-kb-") as folder:
        try:
            paths = save_uploads(v.form, "file", Path(folder), UPLOAD_SUFFIXES)
            if not paths:
                raise ValueError("请选择要上传的文件")
            v.query = " ".join(p.name for p in paths)[:200]
            report = await kb.import_paths(paths)
        except ValueError as exc:
            errors = [v.invalid(str(exc))]
        except KnowledgeImportError as exc:
            errors = [str(e) for e in exc.errors]
            v.outcome, v.detail = "rejected", "；".join(errors)[:500]
    if report is not None:
        v.detail = f"新增 {len(report.added)}，更新 {len(report.updated)}，未变 {len(report.unchanged)}"
    return v.render("kb_import.html", report=report, errors=errors)


@routes.get("/knowledge/remove", role=Role.ADMIN)
async def remove_confirm(v: Visit) -> web.StreamResponse:
    kb = await v.bot.kb.get()
    doc = next((d for d in await kb.list_documents() if d.doc_key == v.field("doc")), None)
    if doc is None:
        raise web.HTTPNotFound(text="没有这个文档")
    return v.render("kb_remove.html", doc=doc)


@routes.post("/knowledge/remove", role=Role.ADMIN, action="kb.remove")
async def remove(v: Visit) -> web.StreamResponse:
    key = v.field("doc")
    v.query = key[:200]
    if not await (await v.bot.kb.get()).remove(key):
        v.outcome = "not_found"
        return v.redirect("/admin/knowledge", f"知识库里没有文档 {key}")
    return v.redirect("/admin/knowledge", f"已删除 {key}")


@routes.get("/knowledge/test", role=Role.ADMIN)
async def hit_test(v: Visit) -> web.StreamResponse:
    question = v.field("q")[:500]
    report: dict[str, Any] | None = None
    if question:
        report = await (await v.bot.kb.get()).explain(question, limit=8)
    return v.render("kb_test.html", question=question, report=report, decisions=DECISIONS)


@routes.get("/knowledge/unanswered", role=Role.ADMIN)
async def unanswered(v: Visit) -> web.StreamResponse:
    kb = await v.bot.kb.get()
    pager = v.pager((await kb.stats())["unanswered"])
    rows = (await kb.unanswered_questions(limit=pager.offset + pager.size))[pager.offset :]
    return v.render("kb_unanswered.html", rows=rows, pager=pager)


@routes.get("/knowledge/unanswered/{id:\\d+}", role=Role.ADMIN)
async def faq_form(v: Visit) -> web.StreamResponse:
    """转为常见问题, with the best clause the knowledge base has for the question prefilled."""
    kb = await v.bot.kb.get()
    wanted = int(v.request.match_info["id"])
    row = next((r for r in await kb.unanswered_questions(limit=100_000) if r["id"] == wanted), None)
    if row is None:
        raise web.HTTPNotFound(text="这个问题已处理或不存在")
    best = (await kb.explain(row["question"], limit=1))["candidates"]
    answer = best[0]["text"] if best else ""
    source = best[0]["citation"] if best else ""
    return v.render("kb_faq.html", row=row, answer=answer, source=source, error="")


@routes.post("/knowledge/unanswered/{id:\\d+}", role=Role.ADMIN, action="kb.faq_add")
async def faq_add(v: Visit) -> web.StreamResponse:
    wanted = int(v.request.match_info["id"])
    answer, source = v.field("answer"), v.field("source")
    if not answer:
        row = {"id": wanted, "question": v.field("question")}
        return v.render("kb_faq.html", row=row, answer=answer, source=source, error=v.invalid("答案不能为空"))
    made = await (await v.bot.kb.get()).faq_from_unanswered(wanted, answer, source=source)
    if made is None:
        v.outcome = "not_found"
        return v.redirect("/admin/knowledge/unanswered", "这个问题已处理或不存在")
    v.subject, v.query = None, made[1][:200]
    return v.redirect("/admin/knowledge/unanswered", f"已添加常见问题 #{made[0]}：{made[1]}")
