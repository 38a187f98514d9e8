"""KnowledgeBase: the public, async face of the policy Q&A engine.

One instance per process and event loop. Reads (ask/explain) use an immutable snapshot
(index + document facts) that imports swap atomically, so questions keep being answered
while an import runs. Nothing here is global: pass an AsyncEngine and an index folder.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from . import store
from .calibration import Calibration, gather, unknown_nouns
from .decide import Answer, Decision, Source, Thresholds, decide
from .enumeration import whole_answer
from .followup import Reading, read_follow_up
from .glossary import Glossary
from .homophones import HomophoneFixer
from .importer import ParsedDocument, expand_paths, parse_file
from .index import IndexedPassage, PassageIndex
from .parsing import DocumentError
from .passage_features import FeatureTable
from .query import Query, Segmenter, analyse
from .question_rules import QuestionRules
from .ranking import Candidate, Ranker
from .references import defer_to_referenced
from .splitter import citation

Progress = Callable[[str, int, int, str], None]  # (stage, done, total, file name)
# Feedback verdicts that say an answer was wrong.
# A caller's own write about an answer, done in the transaction that records the answer.
AlsoWrite = Callable[[AsyncConnection, Answer], Awaitable[None]]

NEGATIVE_VERDICTS = ("不对", "没用", "答非所问", "不是这个", "错了", "答错了")


class KnowledgeImportError(Exception):
    """An import was refused as a whole; ``errors`` names every bad file."""

    def __init__(self, errors: list[DocumentError]) -> None:
        self.errors = errors
        names = "；".join(str(e) for e in errors)
        super().__init__(f"导入失败，未做任何修改：{names}")


@dataclass
class DocumentInfo:
    """A document as listed to administrators."""

    id: int
    doc_key: str
    title: str
    kind: str
    issuer: str | None
    issued_on: date | None
    effective_on: date | None
    superseded_on: date | None
    is_current: bool
    passages: int = 0
    source_path: str | None = None
    title_key: str = ""  # shared by the versions of one document


@dataclass
class ImportReport:
    """What an import changed."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # folder files that are not content (README.md…)
    passages: int = 0
    faq_entries: int = 0


@dataclass(frozen=True)
class _Snapshot:
    key: str
    index: PassageIndex
    ranker: Ranker
    docs: dict[int, DocumentInfo]
    faq_answers: dict[int, tuple[str, str]]  # faq id -> (answer, source)
    homophones: HomophoneFixer  # bound to this index: "known word" means known here


class KnowledgeBase:
    """Import documents, answer questions, log what could not be answered."""

    def __init__(
        self,
        engine: AsyncEngine,
        index_dir: Path | str | None = None,
        *,
        glossary: Glossary | None = None,
        thresholds: Thresholds | None = None,
        calibration: Calibration | None = None,
        rules: QuestionRules | None = None,
        use_segmenter: bool = True,
    ) -> None:
        self.engine = engine
        self.index_dir = Path(index_dir) if index_dir is not None else None
        self.glossary = glossary or Glossary.load()
        self.segmenter = Segmenter(self.glossary, enabled=use_segmenter)
        self.thresholds = thresholds or Thresholds()
        self.calibration = calibration or Calibration.load()
        self.rules = rules or QuestionRules.load()
        self._snap: _Snapshot | None = None
        self._lock = asyncio.Lock()
        # Question core -> (doc_key, locator) an administrator marked wrong for it.
        self._withdrawn: dict[str, set[tuple[str, str]]] = {}

    @classmethod
    async def open(
        cls,
        engine: AsyncEngine,
        index_dir: Path | str | None = None,
        *,
        create_tables: bool = False,
        **kwargs: Any,
    ) -> KnowledgeBase:
        """Ready-to-use knowledge base: loads the saved index or builds it."""
        kb = cls(engine, index_dir, **kwargs)
        if create_tables:
            async with engine.begin() as conn:
                await conn.run_sync(store.metadata.create_all)
        await kb.refresh()
        return kb

    # ----- index lifecycle ------------------------------------------------------------
    async def refresh(self, progress: Progress | None = None) -> None:
        """(Re)load the index if the database changed (e.g. another process imported)."""
        async with self._lock:
            await self._refresh_locked(progress)

    async def _refresh_locked(self, progress: Progress | None = None) -> None:
        async with self.engine.connect() as conn:
            await self._load_withdrawn(conn)
            key = await store.state_key(conn)
            if self._snap is not None and self._snap.key == key:
                return
            docs = await self._load_docs(conn)
            faq_rows = (await conn.execute(sa.select(store.faq_entries).order_by(store.faq_entries.c.id))).all()
            index = self._load_saved(key)
            if index is None:
                items = await self._index_items(conn, docs, faq_rows)
        if index is None:

            def report(done: int, total: int) -> None:
                if progress:
                    progress("index", done, total, "")

            index = await asyncio.to_thread(PassageIndex.build, items, report)
            if self.index_dir is not None:
                path = self.index_dir / f"kb-{key}.idx"
                await asyncio.to_thread(index.save, path, key)
                for old in self.index_dir.glob("kb-*.idx"):
                    if old != path:
                        old.unlink(missing_ok=True)
        faq_answers = {r.id: (r.answer, r.source) for r in faq_rows}
        faq_alts = {r.id: [a for a in r.alternates.splitlines() if a] for r in faq_rows}
        cores: dict[int, list[str]] = {}
        for pos, item in enumerate(index.items):
            if item.kind == "faq":
                question = item.text.split("\n", 1)[0]
                forms = [self._core(q) for q in (question, *faq_alts.get(item.ref, []))]
                cores[pos] = [f for f in forms if f]
        fixer = HomophoneFixer(index, self.glossary, self.segmenter)
        features = FeatureTable(index)
        await asyncio.to_thread(features.precompute)
        self._snap = _Snapshot(key, index, Ranker(index, cores, features, self.rules), docs, faq_answers, fixer)

    async def _load_withdrawn(self, conn: AsyncConnection) -> None:
        fb = store.feedback
        rows = await conn.execute(
            sa.select(fb.c.question, fb.c.doc_key, fb.c.locator).where(
                fb.c.binding.is_(True), fb.c.verdict.in_(NEGATIVE_VERDICTS)
            )
        )
        withdrawn: dict[str, set[tuple[str, str]]] = {}
        for r in rows:
            if r.doc_key and r.locator:
                withdrawn.setdefault(self._core(r.question), set()).add((r.doc_key, r.locator.split("（续")[0]))
        self._withdrawn = withdrawn

    def _load_saved(self, key: str) -> PassageIndex | None:
        if self.index_dir is None:
            return None
        return PassageIndex.load(self.index_dir / f"kb-{key}.idx", key)

    async def _load_docs(self, conn: AsyncConnection) -> dict[int, DocumentInfo]:
        d, p = store.documents, store.passages
        counts: dict[int, int] = dict(
            (await conn.execute(sa.select(p.c.document_id, sa.func.count()).group_by(p.c.document_id))).all()
        )
        rows = (await conn.execute(sa.select(d).order_by(d.c.id))).all()
        return {
            r.id: DocumentInfo(
                r.id,
                r.doc_key,
                r.title,
                r.kind,
                r.issuer,
                r.issued_on,
                r.effective_on,
                r.superseded_on,
                bool(r.is_current),
                counts.get(r.id, 0),
                r.source_path,
                r.title_key,
            )
            for r in rows
        }

    async def _index_items(
        self, conn: AsyncConnection, docs: dict[int, DocumentInfo], faq_rows: Sequence[sa.Row]
    ) -> list[IndexedPassage]:
        """Current documents' passages and FAQ entries: superseded versions are never
        searchable, so they can never be cited as the rule in force."""
        current = [i for i, doc in docs.items() if doc.is_current]
        items: list[IndexedPassage] = []
        if current:
            p = store.passages
            rows = await conn.execute(
                sa.select(p.c.id, p.c.document_id, p.c.locator, p.c.heading, p.c.text)
                .where(p.c.document_id.in_(current))
                .order_by(p.c.document_id, p.c.seq)
            )
            for r in rows:
                context = f"{docs[r.document_id].title} {r.heading}"
                items.append(IndexedPassage(r.id, "passage", r.document_id, r.locator, context, r.text))
        for r in faq_rows:
            if r.document_id is not None and not (r.document_id in docs and docs[r.document_id].is_current):
                continue
            text = "\n".join([r.question, *[a for a in r.alternates.splitlines() if a]])
            items.append(
                IndexedPassage(r.id, "faq", r.document_id or 0, "常见问题", r.tags.replace("\n", " "), text, r.answer)
            )
        return items

    def _core(self, text: str) -> str:
        core = self.rules.strip_stop_phrases(self.glossary.canonicalize(text.lower()))
        return "".join(ch for ch in core if ch.isalnum())

    async def _snapshot(self) -> _Snapshot:
        if self._snap is None:
            await self.refresh()
        assert self._snap is not None
        return self._snap

    # ----- import / remove ------------------------------------------------------------
    async def import_paths(self, paths: Sequence[Path | str], progress: Progress | None = None) -> ImportReport:
        """Import files and folders all-or-nothing; raises KnowledgeImportError naming
        every unreadable or empty file, in which case nothing was changed."""
        skipped: list[Path] = []
        files = expand_paths([Path(p) for p in paths], skipped)
        if not files:
            raise KnowledgeImportError([DocumentError(Path(str(paths)), "没有找到可导入的文件")])
        parsed: list[ParsedDocument] = []
        errors: list[DocumentError] = []
        for i, f in enumerate(files):
            if progress:
                progress("parse", i, len(files), f.name)
            try:
                parsed.append(await asyncio.to_thread(parse_file, f))
            except DocumentError as exc:
                errors.append(exc)
        keys = [p.doc_key for p in parsed]
        dupes = {k for k in keys if keys.count(k) > 1}
        errors += [
            DocumentError(Path(p.source_path), "与同批其他文件重名（文件名主干相同）")
            for p in parsed
            if p.doc_key in dupes
        ]
        if errors:
            raise KnowledgeImportError(errors)
        report = ImportReport(skipped=[str(f) for f in skipped])
        async with self._lock:
            async with self.engine.begin() as conn:
                titles: list[str] = []
                for i, doc in enumerate(parsed):
                    if progress:
                        progress("write", i, len(parsed), Path(doc.source_path).name)
                    titles += await self._write(conn, doc, report)
                await store.refresh_current_flags(conn, titles)
            await self._refresh_locked(progress)
        return report

    async def _write(self, conn: AsyncConnection, doc: ParsedDocument, report: ImportReport) -> list[str]:
        d = store.documents
        existing = (await conn.execute(sa.select(d).where(d.c.doc_key == doc.doc_key))).first()
        if existing is not None and existing.content_hash == doc.content_hash:
            report.unchanged.append(doc.doc_key)
            return []
        values = {
            "doc_key": doc.doc_key,
            "title": doc.title,
            "title_key": doc.title_key,
            "kind": doc.kind,
            "source_path": doc.source_path,
            "issuer": doc.issuer,
            "issued_on": doc.issued_on,
            "effective_on": doc.effective_on,
            "superseded_on": doc.superseded_on,
            "is_current": True,
            "content_hash": doc.content_hash,
            "imported_at": store.now(),
        }
        titles = [doc.title_key]
        if existing is None:
            doc_id = (await conn.execute(d.insert().values(**values).returning(d.c.id))).scalar_one()
            report.added.append(doc.doc_key)
        else:
            doc_id = existing.id
            titles.append(existing.title_key)
            await conn.execute(store.passages.delete().where(store.passages.c.document_id == doc_id))
            await conn.execute(store.faq_entries.delete().where(store.faq_entries.c.document_id == doc_id))
            await conn.execute(d.update().where(d.c.id == doc_id).values(**values))
            report.updated.append(doc.doc_key)
        if doc.passages:
            await conn.execute(
                store.passages.insert(),
                [
                    {"document_id": doc_id, "seq": p.seq, "locator": p.locator, "heading": p.heading, "text": p.text}
                    for p in doc.passages
                ],
            )
            report.passages += len(doc.passages)
        if doc.faq:
            created = store.now()
            await conn.execute(
                store.faq_entries.insert(),
                [
                    {
                        "document_id": doc_id,
                        "question": r.question,
                        "answer": r.answer,
                        "alternates": "\n".join(r.alternates),
                        "tags": "\n".join(r.tags),
                        "source": r.source,
                        "created_at": created,
                    }
                    for r in doc.faq
                ],
            )
            report.faq_entries += len(doc.faq)
        return titles

    async def remove(self, doc_key: str) -> bool:
        """Delete a document (all versions' flags are recomputed); False if unknown."""
        d = store.documents
        async with self._lock:
            async with self.engine.begin() as conn:
                row = (await conn.execute(sa.select(d.c.id, d.c.title_key).where(d.c.doc_key == doc_key))).first()
                if row is None:
                    return False
                await conn.execute(store.passages.delete().where(store.passages.c.document_id == row.id))
                await conn.execute(store.faq_entries.delete().where(store.faq_entries.c.document_id == row.id))
                await conn.execute(d.delete().where(d.c.id == row.id))
                await store.refresh_current_flags(conn, [row.title_key])
            await self._refresh_locked()
        return True

    async def add_faq(
        self,
        question: str,
        answer: str,
        alternates: Sequence[str] = (),
        tags: Sequence[str] = (),
        source: str = "",
    ) -> int:
        """Add a curated entry by hand; returns its id."""
        f = store.faq_entries
        async with self._lock:
            async with self.engine.begin() as conn:
                faq_id = (
                    await conn.execute(
                        f.insert()
                        .values(
                            question=question.strip(),
                            answer=answer.strip(),
                            alternates="\n".join(a.strip() for a in alternates if a.strip()),
                            tags="\n".join(t.strip() for t in tags if t.strip()),
                            source=source,
                            created_at=store.now(),
                        )
                        .returning(f.c.id)
                    )
                ).scalar_one()
            await self._refresh_locked()
        return int(faq_id)

    async def faq_from_unanswered(self, unanswered_id: int, answer: str, source: str = "") -> tuple[int, str] | None:
        """Answer a logged unanswered question with a curated FAQ entry (used from the
        next question on) and clear it, with its repeats, from the unanswered list.
        Returns (faq id, question), or None when there is no such unanswered question."""
        u = store.unanswered
        async with self.engine.connect() as conn:
            question = (await conn.execute(sa.select(u.c.question).where(u.c.id == unanswered_id))).scalar_one_or_none()
        if question is None:
            return None
        faq_id = await self.add_faq(question, answer, source=source)
        async with self.engine.begin() as conn:
            await conn.execute(u.delete().where(u.c.question == question))
        return faq_id, question

    # ----- listing ----------------------------------------------------------------------
    async def list_documents(self) -> list[DocumentInfo]:
        """All documents, including superseded versions."""
        async with self.engine.connect() as conn:
            return list((await self._load_docs(conn)).values())

    async def stats(self) -> dict[str, Any]:
        """Counts for an admin overview."""
        snap = await self._snapshot()
        async with self.engine.connect() as conn:
            unanswered = (await conn.execute(sa.select(sa.func.count()).select_from(store.unanswered))).scalar_one()
            feedback = (await conn.execute(sa.select(sa.func.count()).select_from(store.feedback))).scalar_one()
        docs = snap.docs.values()
        return {
            "documents": sum(1 for d in docs if d.kind == "text"),
            "current_documents": sum(1 for d in docs if d.kind == "text" and d.is_current),
            "faq_sheets": sum(1 for d in docs if d.kind == "faq"),
            "indexed_items": snap.index.n,
            "passages": sum(1 for it in snap.index.items if it.kind == "passage"),
            "faq_entries": sum(1 for it in snap.index.items if it.kind == "faq"),
            "terms": len(snap.index.vocab),
            "unanswered": unanswered,
            "feedback": feedback,
            "segmenter": self.segmenter.enabled,
            "index_key": snap.key,
        }

    async def unanswered_questions(self, limit: int = 50) -> list[dict[str, Any]]:
        """Most recent questions the bot could not answer (for FAQ curation)."""
        u = store.unanswered
        async with self.engine.connect() as conn:
            rows = await conn.execute(sa.select(u).order_by(u.c.id.desc()).limit(limit))
            return [dict(r._mapping) for r in rows]

    async def feedback_entries(self, limit: int = 50, verdicts: Sequence[str] = ()) -> list[dict[str, Any]]:
        """Most recent feedback on answers ("不对"…), newest first; only ``verdicts`` when given."""
        f = store.feedback
        stmt = sa.select(f).order_by(f.c.id.desc()).limit(limit)
        if verdicts:
            stmt = stmt.where(f.c.verdict.in_(list(verdicts)))
        async with self.engine.connect() as conn:
            return [dict(r._mapping) for r in await conn.execute(stmt)]

    # ----- asking -----------------------------------------------------------------------
    def _analyse(self, snap: _Snapshot, question: str) -> Query:
        return analyse(question, self.glossary, self.segmenter, snap.homophones, self.rules)

    def _decide(self, snap: _Snapshot, question: str) -> tuple[Query, list[Candidate], Decision, Any]:
        query = self._analyse(snap, question)
        cands, weighted = snap.ranker.rank(query, limit=12)
        cands = _dedupe(cands)
        features = snap.ranker.features
        cands = defer_to_referenced(
            cands, weighted, lambda c: features.get(c.pos).context_terms, lambda c: features.get(c.pos).flat
        )
        withdrawn = self._withdrawn.get(self._core(question)) if self._withdrawn else None
        if withdrawn:
            cands = [c for c in cands if self._cited(snap, c) not in withdrawn]
        evidence = gather(query, cands, weighted, snap.index.df, self.rules) if cands else None
        absent = unknown_nouns(query, snap.index.df)
        decision = decide(cands, self.thresholds, query.is_empty, evidence, self.calibration, absent)
        if cands and cands[0].referred_by:
            decision.reason += f"；排第一是因为{cands[0].referred_by.split(' › ')[-1]}只是引用了本条（“与…相同/按照…”）"
        return query, cands, decision, weighted

    async def ask(
        self,
        question: str,
        *,
        user_id: str | None = None,
        record: bool = True,
        conversation: str | None = None,
        also: AlsoWrite | None = None,
    ) -> Answer:
        """Answer a chat question: answered / clarify / unknown (see Answer.to_json).
        Unknown questions are logged when ``record``. The answer is remembered in the
        database per ``conversation`` (default: ``user_id``; nothing when neither is
        given) so that feedback ("不对") refers to it from any instance. ``also`` writes
        what the caller keeps about the answer in the same transaction: one write per
        question, as SQLite takes one writer at a time."""
        snap = await self._snapshot()
        _query, _cands, decision, _ = self._decide(snap, question)
        answer = self._render(snap, question, decision)
        unanswered = record and answer.status == "unknown" and bool(question.strip())
        key = conversation or user_id
        if unanswered or key or also:
            async with self.engine.begin() as conn:
                if unanswered:
                    best = decision.chosen[0].confidence if decision.chosen else None
                    await conn.execute(self._unanswered_row(question, user_id, best))
                if key:
                    await store.remember_last_answer(conn, key, answer.to_record())
                if also:
                    await also(conn, answer)
            answer.recorded = unanswered
        return answer

    async def explain(self, question: str, limit: int = 10) -> dict[str, Any]:
        """Hit testing: the analysed question, ranked candidates with scores, and the
        decision with its reason (which terms and synonyms matched)."""
        snap = await self._snapshot()
        query, cands, decision, weighted = self._decide(snap, question)
        answer = self._render(snap, question, decision)
        return {
            "question": question,
            "normalized": query.normalized,
            "typo_fixes": [{"typed": a, "fixed": b} for a, b in query.fixes],
            "clauses": [
                {
                    "text": wc.clause.label,
                    "weight": round(wc.weight, 3),
                    "concept": wc.clause.concept,
                    "alternatives": [a.text for a in wc.clause.alternatives],
                    "document_frequency": [snap.index.df(t) for t in wc.clause.alternatives[0].terms],
                }
                for wc in weighted
            ],
            "candidates": [
                {
                    **self._source(snap, c).to_dict(),
                    "rank": round(c.rank, 4),
                    "bm25": round(c.bm25, 3),
                    "coverage": round(c.coverage, 3),
                    "window_coverage": round(c.window, 3),
                    "fuzzy": round(c.fuzzy, 3),
                    "matched": c.matched,
                    "referred_by": c.referred_by,
                }
                for c in cands[:limit]
            ],
            "decision": {
                "status": decision.status,
                "reason": decision.reason,
                "probability": None if decision.probability is None else round(decision.probability, 4),
                "evidence": decision.evidence.vector() if decision.evidence else None,
                "contributions": (
                    [
                        {"signal": label, "value": round(v, 3), "effect": round(c, 3)}
                        for label, v, c in self.calibration.contributions(decision.evidence)
                    ]
                    if decision.evidence
                    else []
                ),
            },
            "result": answer.to_dict(),
        }

    def _cited(self, snap: _Snapshot, c: Candidate) -> tuple[str, str]:
        """(doc_key, locator) as feedback records the clause a candidate would cite."""
        s = self._source(snap, c)
        return s.doc_key, s.locator.split("（续")[0]

    def _source(self, snap: _Snapshot, c: Candidate) -> Source:
        item = c.item
        if item.kind == "faq":
            answer, src = snap.faq_answers.get(item.ref, ("", ""))
            doc = snap.docs.get(item.doc_id)
            title = doc.title if doc else "常见问题"
            question = item.text.split("\n", 1)[0]
            return Source(
                doc=title,
                doc_key=doc.doc_key if doc else "faq",
                locator=f"常见问题：{question}",
                citation=src or f"常见问题：{question}",
                text=answer,
                snippet=answer,
                score=c.confidence,
                kind="faq",
            )
        return self._passage_source(snap, item, c.snippet, c.confidence)

    def _passage_source(
        self, snap: _Snapshot, item: IndexedPassage, snippet: str, score: float, locator: str | None = None
    ) -> Source:
        doc = snap.docs[item.doc_id]
        locator = locator or item.locator
        return Source(
            doc=doc.title,
            doc_key=doc.doc_key,
            locator=locator,
            citation=citation(doc.title, locator),
            text=item.text,
            snippet=snippet,
            score=score,
            current=doc.is_current,
            version_note=_edition(doc),
        )

    def _render(self, snap: _Snapshot, question: str, decision: Decision) -> Answer:
        sources = [self._source(snap, c) for c in decision.chosen]
        if decision.status == "answered":
            best = decision.chosen[0]
            if best.item.kind == "passage":
                # The whole list a question asks for, each part with its citation.
                parts = whole_answer(snap.index.items, best.pos, best.snippet, question)
                sources = [
                    self._passage_source(snap, snap.index.items[p.pos], p.excerpt, best.confidence, p.locator)
                    for p in parts
                ]
            return Answer(question, "answered", "\n".join(s.quote() for s in sources), sources, decision.reason)
        if decision.status == "clarify":
            return Answer(question, "clarify", None, sources, decision.reason)
        return Answer(question, "unknown", None, sources, decision.reason)

    def read_follow_up(self, question: str, previous: str) -> Reading | None:
        """How ``question`` reads as a follow-up to ``previous`` (see knowledge.followup)."""
        return read_follow_up(question, previous, self.glossary)

    # ----- logging ----------------------------------------------------------------------
    async def record_unanswered(
        self, question: str, *, user_id: str | None = None, best_score: float | None = None
    ) -> None:
        """Log a question the knowledge base could not answer."""
        async with self.engine.begin() as conn:
            await conn.execute(self._unanswered_row(question, user_id, best_score))

    @staticmethod
    def _unanswered_row(question: str, user_id: str | None, best_score: float | None) -> sa.Insert:
        return store.unanswered.insert().values(
            question=question.strip()[:2000], asked_by=user_id, best_score=best_score, created_at=store.now()
        )

    async def last_answer(self, conversation: str | None = None) -> Answer | None:
        """The last answer given in this conversation, by any instance."""
        if not conversation:
            return None
        last = store.last_answers
        async with self.engine.connect() as conn:
            text = (
                await conn.execute(sa.select(last.c.answer).where(last.c.conversation == conversation))
            ).scalar_one_or_none()
        return Answer.from_record(text) if text is not None else None

    async def record_feedback(
        self,
        verdict: str,
        *,
        user_id: str | None = None,
        answer: Answer | None = None,
        comment: str | None = None,
        binding: bool = False,
        conversation: str | None = None,
    ) -> bool:
        """Record feedback ("不对", "没用", "有用"…) against ``answer`` or, by default, the
        last answer in ``conversation`` (default: ``user_id``). False when there is
        nothing to attach it to. ``binding`` (an administrator's verdict): a negative one withdraws the answered clause for
        that question, so the next ask gives the runner-up or declines."""
        answer = answer or await self.last_answer(conversation or user_id)
        if answer is None:
            return False
        top = answer.sources[0] if answer.sources else None
        binding = binding and answer.status == "answered" and top is not None
        if binding and top is not None and verdict.strip() in NEGATIVE_VERDICTS:
            # Takes effect for the next ask at once, in this process; others on refresh.
            cited = (top.doc_key, top.locator.split("（续")[0])
            self._withdrawn.setdefault(self._core(answer.question), set()).add(cited)
        async with self.engine.begin() as conn:
            await conn.execute(
                store.feedback.insert().values(
                    question=answer.question[:2000],
                    status=answer.status,
                    doc_key=top.doc_key if top else None,
                    locator=top.locator if top else None,
                    verdict=verdict.strip()[:32],
                    comment=comment,
                    user_id=user_id,
                    created_at=store.now(),
                    binding=binding,
                )
            )
        return True


def _dedupe(cands: list[Candidate]) -> list[Candidate]:
    """One candidate per citation (long passages split in chunks share a locator)."""
    seen: set[tuple[int, str, int]] = set()
    out = []
    for c in cands:
        key = (c.item.doc_id, c.item.locator.split("（续")[0], c.item.ref if c.item.kind == "faq" else 0)
        if key in seen:
            continue
        seen.add(key)
        out.append(c)
    return out


def _edition(doc: DocumentInfo) -> str:
    """The version note of a dated document, e.g. "，2026-05-11 版"."""
    when = doc.effective_on or doc.issued_on
    return f"，{when.isoformat()} 版" if when else ""
