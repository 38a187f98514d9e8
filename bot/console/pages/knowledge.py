"""知识库 (admins): documents with their versions, all-or-nothing upload, remove, hit test, the unanswered
queue → FAQ, and 不对 feedback — all through bot/kb_admin.py, as `orgbot kb`."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from bot import kb_admin
from bot.actor import Actor, NotPermitted
from bot.console.routes import RouteTable
from bot.console.uploads import save_uploads
from bot.console.visit import Visit
from bot.roles import Role

routes = RouteTable()

UPLOAD_SUFFIXES = (".docx", ".pdf", ".txt", ".md", ".xlsx", ".csv")
DECISIONS = {"answered": "直接回答", "clarify": "反问澄清", "unknown": "不回答（建议联系人工）"}
# The unanswered queue and the feedback list are read newest first, at most this many deep.
QUEUE_DEPTH = 5000
T = TypeVar("T")


def _actor(v: Visit) -> Actor:
    return Actor(v.access, "console")


def allowed(v: Visit, result: T | NotPermitted) -> T:
    if isinstance(result, NotPermitted):
        raise v.not_permitted(result)
    return result


@routes.get("/knowledge", role=Role.ADMIN)
async def documents(v: Visit) -> web.StreamResponse:
    groups = allowed(v, await kb_admin.documents(v.bot, _actor(v)))
    stats = allowed(v, await kb_admin.overview(v.bot, _actor(v)))
    pager = v.pager(len(groups))
    return v.render("knowledge.html", groups=groups[pager.offset : pager.offset + pager.size], pager=pager, stats=stats)


@routes.post("/knowledge/upload", role=Role.ADMIN, action="kb.import")
async def upload(v: Visit) -> web.StreamResponse:
    errors: list[str] = []
    report: Any = None
    with tempfile.TemporaryDirectory(prefix="orgbot-kb-") as folder:
        try:
            paths = save_uploads(v.form, "file", Path(folder), UPLOAD_SUFFIXES)
            if not paths:
                raise ValueError("请选择要上传的文件")
        except ValueError as exc:
            errors = [v.invalid(str(exc))]
        else:
            result = allowed(v, await kb_admin.import_documents(v.bot, _actor(v), paths))
            v.audited = True  # applied or rejected, the service wrote the row
            if isinstance(result, kb_admin.ImportRejected):
                errors = list(result.errors)
            else:
                report = result
    return v.render("kb_import.html", report=report, errors=errors)


@routes.get("/knowledge/remove", role=Role.ADMIN)
async def remove_confirm(v: Visit) -> web.StreamResponse:
    groups = allowed(v, await kb_admin.documents(v.bot, _actor(v)))
    doc = next((d for g in groups for d in g.versions if d.doc_key == v.field("doc")), None)
    if doc is None:
        raise web.HTTPNotFound(text="没有这个文档")
    return v.render("kb_remove.html", doc=doc)


@routes.post("/knowledge/remove", role=Role.ADMIN, action="kb.remove")
async def remove(v: Visit) -> web.StreamResponse:
    key = v.field("doc")
    removed = allowed(v, await kb_admin.remove_document(v.bot, _actor(v), key))
    v.audited = True
    return v.redirect("/admin/knowledge", f"已删除 {key}" if removed else f"知识库里没有文档 {key}")


@routes.get("/knowledge/test", role=Role.ADMIN)
async def hit_test(v: Visit) -> web.StreamResponse:
    question = v.field("q")[:500]
    test = allowed(v, await kb_admin.hit_test(v.bot, _actor(v), question)) if question else None
    return v.render("kb_test.html", question=question, test=test, decisions=DECISIONS)


@routes.get("/knowledge/unanswered", role=Role.ADMIN)
async def unanswered(v: Visit) -> web.StreamResponse:
    pager = v.pager()
    depth = min(pager.offset + pager.size + 1, QUEUE_DEPTH)  # one more: is there a next page?
    rows = allowed(v, await kb_admin.unanswered(v.bot, _actor(v), limit=depth))[pager.offset :]
    pager.total, pager.exact = pager.offset + len(rows), False
    return v.render("kb_unanswered.html", rows=rows[: pager.size], pager=pager)


@routes.get("/knowledge/unanswered/{id:\\d+}", role=Role.ADMIN)
async def faq_form(v: Visit) -> web.StreamResponse:
    """转为常见问题, with the best passage the knowledge base has for the question prefilled."""
    wanted = int(v.request.match_info["id"])
    queue = allowed(v, await kb_admin.unanswered(v.bot, _actor(v), limit=QUEUE_DEPTH))
    row = next((q for q in queue if q.id == wanted), None)
    if row is None:
        raise web.HTTPNotFound(text="这个问题已处理或不存在")
    test = allowed(v, await kb_admin.hit_test(v.bot, _actor(v), row.question, limit=1))
    best = test.data["candidates"][:1]
    answer = best[0]["text"] if best else ""
    source = best[0]["citation"] if best else ""
    return v.render("kb_faq.html", row=row, answer=answer, source=source, error="")


@routes.post("/knowledge/unanswered/{id:\\d+}", role=Role.ADMIN, action="kb.faq_from_unanswered")
async def faq_add(v: Visit) -> web.StreamResponse:
    wanted = int(v.request.match_info["id"])
    answer, source = v.field("answer"), v.field("source")
    if not answer:
        row = kb_admin.Unanswered(wanted, v.field("question"), "", None, None)
        return v.render("kb_faq.html", row=row, answer=answer, source=source, error=v.invalid("答案不能为空"))
    made = await kb_admin.answer_unanswered(v.bot, _actor(v), wanted, answer, source=source)
    if isinstance(made, NotPermitted):
        raise v.not_permitted(made)
    if isinstance(made, kb_admin.NoSuchQuestion):
        v.outcome = "not_found"
        return v.redirect("/admin/knowledge/unanswered", "这个问题已处理或不存在")
    v.audited = True
    return v.redirect("/admin/knowledge/unanswered", f"已添加常见问题 #{made.id}：{made.question}")


@routes.get("/knowledge/feedback", role=Role.ADMIN)
async def feedback(v: Visit) -> web.StreamResponse:
    """不对 and its kin, each with the clause the flagged answer cited."""
    pager = v.pager()
    depth = min(pager.offset + pager.size + 1, QUEUE_DEPTH)
    rows = allowed(v, await kb_admin.feedback(v.bot, _actor(v), limit=depth))[pager.offset :]
    pager.total, pager.exact = pager.offset + len(rows), False
    return v.render("kb_feedback.html", rows=rows[: pager.size], pager=pager)
