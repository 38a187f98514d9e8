"""Knowledge administration as one service: documents and their versions, imports, hit tests,
the unanswered-question queue, FAQ curation and the 不对 feedback.

``orgbot kb`` and the admin console call it. What the knowledge base answers is policy the
department stands behind, so only admins change or inspect it, and every change (import,
removal, a new FAQ entry) leaves an audit row. Results are data; front ends word them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.actor import DENIED, Actor, NotPermitted, audit_alone
from bot.cadres.sheets import write_table
from bot.clock import local_minute
from bot.roles import Role
from knowledge import DocumentInfo, ImportReport, KnowledgeImportError
from knowledge.engine import NEGATIVE_VERDICTS

if TYPE_CHECKING:
    from bot.app import OrgBot

KB_ROLE = Role.ADMIN
# (stage, done, total, file name): the knowledge core's import progress.
ImportProgress = Callable[[str, int, int, str], None]
UNANSWERED_HEADERS = ("问题", "答案", "相似问法", "标签", "出处", "提问时间", "提问人", "最接近得分")


@dataclass(frozen=True)
class DocumentVersions:
    """All versions of one document; ``current`` is the 现行 one, the rest 已被替代.

    ``title`` is the newest version's.
    """

    title: str
    versions: tuple[DocumentInfo, ...]

    @property
    def current(self) -> DocumentInfo | None:
        return next((d for d in self.versions if d.is_current), None)


@dataclass(frozen=True)
class ImportRejected:
    """Nothing was imported; each error names the file (and where in it) that is wrong."""

    errors: tuple[str, ...]


@dataclass(frozen=True)
class HitCandidate:
    citation: str
    snippet: str
    rank: float
    score: float
    bm25: float
    coverage: float
    matched: tuple[str, ...]


@dataclass(frozen=True)
class HitClause:
    text: str
    weight: float
    alternatives: tuple[str, ...]


@dataclass(frozen=True)
class HitTest:
    """The knowledge core's reading of a question: ranked passages with scores and why it decided so.

    ``contributions``: (signal, value, effect on the probability of a right answer).
    ``data`` is the core's full report, for a JSON view.
    """

    question: str
    normalized: str
    typo_fixes: tuple[tuple[str, str], ...]
    clauses: tuple[HitClause, ...]
    candidates: tuple[HitCandidate, ...]
    status: str
    reason: str
    probability: float | None
    contributions: tuple[tuple[str, float, float], ...]
    data: dict[str, Any]


@dataclass(frozen=True)
class Unanswered:
    id: int
    question: str
    asked_by: str
    best_score: float | None
    asked_at: datetime | None


@dataclass(frozen=True)
class FaqAdded:
    id: int
    question: str


@dataclass(frozen=True)
class NoSuchQuestion:
    id: int


@dataclass(frozen=True)
class Feedback:
    id: int
    question: str
    verdict: str
    status: str
    doc_key: str
    locator: str
    comment: str
    user_id: str
    binding: bool
    at: datetime | None


async def _refuse(bot: OrgBot, actor: Actor, action: str, query: str = "") -> NotPermitted:
    await audit_alone(bot, actor.record(action, DENIED, query=query))
    return NotPermitted(action, KB_ROLE)


async def documents(bot: OrgBot, actor: Actor) -> list[DocumentVersions] | NotPermitted:
    """Every document grouped with its versions, in import order."""
    if not actor.may(KB_ROLE):
        return await _refuse(bot, actor, "kb.list")
    groups: dict[str, list[DocumentInfo]] = {}
    for doc in await (await bot.kb.get()).list_documents():
        groups.setdefault(doc.title_key or doc.title, []).append(doc)
    return [DocumentVersions(docs[-1].title, tuple(docs)) for docs in groups.values()]


async def import_documents(
    bot: OrgBot, actor: Actor, paths: Sequence[Path | str], progress: ImportProgress | None = None
) -> ImportReport | ImportRejected | NotPermitted:
    """Files or folders (txt, md, docx, pdf, FAQ sheets); all of them or, on any error, none."""
    query = " ".join(Path(p).name for p in paths)
    if not actor.may(KB_ROLE):
        return await _refuse(bot, actor, "kb.import", query)
    kb = await bot.kb.get()
    try:
        report = await kb.import_paths(paths, progress=progress)
    except KnowledgeImportError as exc:
        await audit_alone(bot, actor.record("kb.import", "rejected", query=query, detail=f"{len(exc.errors)} errors"))
        return ImportRejected(tuple(str(e) for e in exc.errors))
    detail = f"+{len(report.added)} ~{len(report.updated)} ={len(report.unchanged)} passages={report.passages}"
    await audit_alone(bot, actor.record("kb.import", "applied", query=query, detail=detail))
    return report


async def remove_document(bot: OrgBot, actor: Actor, doc_key: str) -> bool | NotPermitted:
    """False when there is no such document."""
    if not actor.may(KB_ROLE):
        return await _refuse(bot, actor, "kb.remove", doc_key)
    removed = await (await bot.kb.get()).remove(doc_key)
    await audit_alone(bot, actor.record("kb.remove", "ok" if removed else "not_found", query=doc_key))
    return removed


async def overview(bot: OrgBot, actor: Actor) -> dict[str, Any] | NotPermitted:
    """Counts: documents, current ones, passages, FAQ entries, terms, unanswered, feedback."""
    if not actor.may(KB_ROLE):
        return await _refuse(bot, actor, "kb.stats")
    return await (await bot.kb.get()).stats()


async def hit_test(bot: OrgBot, actor: Actor, question: str, limit: int = 8) -> HitTest | NotPermitted:
    """What the bot would answer and why, without recording the question as unanswered."""
    if not actor.may(KB_ROLE):
        return await _refuse(bot, actor, "kb.test", question)
    data = await (await bot.kb.get()).explain(question, limit=limit)
    decision = data["decision"]
    return HitTest(
        question=data["question"],
        normalized=data["normalized"],
        typo_fixes=tuple((f["typed"], f["fixed"]) for f in data.get("typo_fixes", [])),
        clauses=tuple(HitClause(c["text"], c["weight"], tuple(c["alternatives"])) for c in data["clauses"]),
        candidates=tuple(
            HitCandidate(
                c["citation"], c["snippet"], c["rank"], c["score"], c["bm25"], c["coverage"], tuple(c["matched"])
            )
            for c in data["candidates"]
        ),
        status=decision["status"],
        reason=decision["reason"],
        probability=decision.get("probability"),
        contributions=tuple((r["signal"], r["value"], r["effect"]) for r in decision.get("contributions") or []),
        data=data,
    )


async def unanswered(bot: OrgBot, actor: Actor, limit: int = 50) -> list[Unanswered] | NotPermitted:
    """The newest questions the bot could not answer: the queue to curate FAQ entries from."""
    if not actor.may(KB_ROLE):
        return await _refuse(bot, actor, "kb.unanswered")
    rows = await (await bot.kb.get()).unanswered_questions(limit=limit)
    return [
        Unanswered(r["id"], r["question"], r.get("asked_by") or "", r.get("best_score"), r.get("created_at"))
        for r in rows
    ]


async def export_unanswered(bot: OrgBot, actor: Actor, path: Path) -> int | NotPermitted:
    """An FAQ sheet to fill in: its question and answer columns are what an import reads back."""
    questions = await unanswered(bot, actor, limit=1_000_000)
    if isinstance(questions, NotPermitted):
        return questions
    tz = bot.config.bot.timezone
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [[q.question, "", "", "", "", local_minute(q.asked_at, tz), q.asked_by, q.best_score] for q in questions]
    write_table(path, "未解答问题", UNANSWERED_HEADERS, rows)
    await audit_alone(bot, actor.record("kb.unanswered_export", "ok", query=str(path), detail=f"{len(rows)} rows"))
    return len(rows)


async def answer_unanswered(
    bot: OrgBot, actor: Actor, unanswered_id: int, answer: str, *, source: str = ""
) -> FaqAdded | NoSuchQuestion | NotPermitted:
    """Turn a queued question into an FAQ entry (used from the next question on) and clear it."""
    if not actor.may(KB_ROLE):
        return await _refuse(bot, actor, "kb.faq_from_unanswered", str(unanswered_id))
    made = await (await bot.kb.get()).faq_from_unanswered(unanswered_id, answer, source=source)
    if made is None:
        return NoSuchQuestion(unanswered_id)
    # The same row chat's /补充 has always written.
    await audit_alone(bot, actor.record("kb.faq_from_unanswered", "ok", query=made[1], detail=f"faq#{made[0]}"))
    return FaqAdded(*made)


async def add_faq(
    bot: OrgBot,
    actor: Actor,
    question: str,
    answer: str,
    *,
    alternates: Sequence[str] = (),
    tags: Sequence[str] = (),
    source: str = "",
) -> FaqAdded | NotPermitted:
    if not actor.may(KB_ROLE):
        return await _refuse(bot, actor, "kb.faq_add", question)
    faq_id = await (await bot.kb.get()).add_faq(question, answer, alternates=alternates, tags=tags, source=source)
    await audit_alone(bot, actor.record("kb.faq_add", "ok", query=question, detail=f"faq#{faq_id}"))
    return FaqAdded(faq_id, question)


async def feedback(
    bot: OrgBot, actor: Actor, limit: int = 50, *, negative_only: bool = True
) -> list[Feedback] | NotPermitted:
    """People's verdicts on answers, newest first; by default only 不对 and its kin."""
    if not actor.may(KB_ROLE):
        return await _refuse(bot, actor, "kb.feedback")
    rows = await (await bot.kb.get()).feedback_entries(limit, NEGATIVE_VERDICTS if negative_only else ())
    return [
        Feedback(
            r["id"], r["question"], r["verdict"], r["status"], r["doc_key"] or "", r["locator"] or "",
            r["comment"] or "", r["user_id"] or "", bool(r["binding"]), r["created_at"],
        )
        for r in rows
    ]  # fmt: skip
