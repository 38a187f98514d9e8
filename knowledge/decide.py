"""Turn ranked candidates into answered / clarify / unknown, and the stable result shape.

The decision rests on knowledge/calibration.py: the estimated probability that the top
clause answers the question, with a threshold chosen on held-out questions so that
confident wrong answers stay rare. A close race between clauses becomes a short
numbered menu; anything weak is declined and logged.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from .calibration import Calibration, Evidence
from .ranking import Candidate

Status = Literal["answered", "clarify", "unknown"]


@dataclass(frozen=True)
class Thresholds:
    """Fixed rules around the calibrated decision (knowledge/calibration.py holds the
    fitted answer/clarify thresholds; these apply when no calibration is given)."""

    answer: float = 0.7  # without calibration: confidence needed to answer
    faq_answer: float = 0.72  # FAQ confidence needed to answer from a curated entry
    margin: float = 0.08  # ...and its lead over the next FAQ entry
    clarify: float = 0.5  # without calibration: confidence from which a menu is offered
    menu_span: float = 0.12  # without calibration: menu holds candidates within this of the best
    menu_size: int = 4
    tie: float = 0.02  # a runner-up this close (confidence) makes even a likely answer a menu
    # A best passage matching less than this much of the question is never the answer,
    # however far it leads (a calibration may carry its own, fitted with its threshold): standing alone among passages that match nothing (今天天气:
    # 今天 in a speech) says nothing about whether it answers.
    floor: float = 0.6
    near_miss: float = 0.25  # unknown: near-misses shown from this confidence


@dataclass
class Source:
    """One cited passage (or FAQ entry)."""

    doc: str  # document title, e.g. 中国共产党发展党员工作细则
    doc_key: str  # stable key = file stem, e.g. fazhan_dangyuan_gongzuo_xize_2026
    locator: str  # heading path, e.g. 第二章 › 第十四条
    citation: str  # 《title》第十四条
    text: str  # full passage text (FAQ: the answer)
    snippet: str  # the part that answers (≤ ~300 chars)
    score: float  # calibrated confidence 0..1
    kind: str = "passage"  # "passage" | "faq"
    current: bool = True  # False only for superseded versions
    version_note: str = ""  # e.g. "，2026-05-11 版", appended to the citation when quoted

    def quote(self) -> str:
        """The snippet with its citation (and version), as a chat answer shows it."""
        if self.kind == "faq":
            if not self.citation or self.citation in self.text:
                return self.text
            return f"{self.text}\n（依据：{self.citation}）"
        return f"{self.snippet}\n（出处：{self.citation}{self.version_note}）"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; keys doc/locator/text/score are the stable contract."""
        return {
            "doc": self.doc,
            "doc_key": self.doc_key,
            "locator": self.locator,
            "citation": self.citation,
            "text": self.text,
            "snippet": self.snippet,
            "score": round(self.score, 4),
            "kind": self.kind,
            "current": self.current,
        }


@dataclass
class Answer:
    """Result of ask(): see to_json() for the stable machine-readable shape."""

    question: str
    status: Status
    answer: str | None  # answered: the cited passages, each with its citation; else None
    sources: list[Source] = field(default_factory=list)
    reason: str = ""
    recorded: bool = False  # logged for administrators (KnowledgeBase.ask with record=True)

    def to_dict(self) -> dict[str, Any]:
        """{"question", "status", "answer", "sources"} (+ "reason" for humans)."""
        return {
            "question": self.question,
            "status": self.status,
            "answer": self.answer,
            "sources": [s.to_dict() for s in self.sources],
            "reason": self.reason,
        }

    def to_json(self) -> str:
        """Stable JSON (UTF-8 characters kept readable)."""
        return json.dumps(self.to_dict(), ensure_ascii=False)

    def to_record(self) -> str:
        """Everything, for storing the answer and reading it back (from_record)."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_record(cls, text: str) -> Answer:
        data = json.loads(text)
        data["sources"] = [Source(**s) for s in data.get("sources", [])]
        return cls(**data)

    def choose(self, number: int) -> Answer | None:
        """The answer for menu entry ``number`` (1-based) of a clarify result, else None.
        Lets a chat handler turn the user's reply "2" into a cited answer."""
        if self.status != "clarify" or not 1 <= number <= len(self.sources):
            return None
        s = self.sources[number - 1]
        return Answer(self.question, "answered", s.quote(), [s], f"用户选择了第 {number} 项")


@dataclass
class Decision:
    """The chosen status and the candidates behind it."""

    status: Status
    chosen: list[Candidate]
    reason: str
    probability: float | None = None  # calibrated chance the top clause answers
    evidence: Evidence | None = None


def decide(
    cands: list[Candidate],
    th: Thresholds,
    query_empty: bool = False,
    evidence: Evidence | None = None,
    calibration: Calibration | None = None,
    absent: Sequence[str] = (),
) -> Decision:
    """Answer when the calibrated probability that the top clause answers clears the
    threshold chosen on held-out questions; offer a menu when two clauses are close and
    the race itself is likely right; decline otherwise (candidates deduplicated, best
    first). Without evidence (tests of the rules alone) the confidence stands in.
    ``absent``: nouns of the question that no passage mentions (名额): what the question
    is about is not in the documents, so no passage is answered or offered."""
    if query_empty:
        return Decision("unknown", [], "问题中没有可检索的关键词")
    if not cands:
        return Decision("unknown", [], "没有任何段落与问题相关")
    best = cands[0]
    faqs = [c for c in cands if c.item.kind == "faq"]
    if faqs:
        top_faq = max(faqs, key=lambda c: c.confidence)
        runner = max((c.confidence for c in faqs if c is not top_faq), default=0.0)
        # Curated entries win over raw passages when they match well.
        if top_faq.confidence >= th.faq_answer and top_faq.confidence - runner >= th.margin and not top_faq.missing:
            return Decision("answered", [top_faq], f"常见问题匹配度 {top_faq.confidence:.2f}", None, evidence)
    # A candidate lacking one of the question's concepts (Candidate.missing) is never
    # the answer and never a menu entry: it is about something else.
    if best.missing:
        return _decline(cands, th, None, evidence)
    if absent:
        why = f"问题问到的“{'、'.join(absent)}”在知识库的任何段落中都没有出现"
        return _decline(cands, th, None, evidence, why)
    cal = calibration
    floor = th.floor if cal is None or evidence is None else cal.floor_or(th.floor)
    if cal is None or evidence is None:
        p, answer_at, clarify_at, close = best.confidence, th.answer, th.clarify, th.menu_span
        why = f"最佳段落匹配度 {best.confidence:.2f}"
    else:
        p, answer_at, clarify_at, close = cal.probability(evidence), cal.answer, cal.clarify, cal.close
        why = cal.explain(evidence)
    menu = [c for c in cands if best.confidence - c.confidence <= close and not c.missing][: th.menu_size]
    # A near tie is never answered outright: which of the two is meant is a guess.
    tied = evidence is not None and len(menu) >= 2 and evidence.lead < th.tie
    if best.confidence < floor:
        why += f"；但最佳段落只匹配了问题的 {best.confidence:.0%}（不足 {floor:.0%}）"
        return _decline(cands, th, p, evidence, why)
    unstated = evidence is not None and evidence.unstated_number > 0
    if p >= answer_at and not tied and not unstated:
        return Decision("answered", [best], why, p, evidence)
    if p >= answer_at and unstated:
        why += "；但问的是次数或日期，最佳段落没有在问题所说的事旁边写明，不直接回答"
    elif p >= answer_at:
        why += f"；第二名与第一名几乎同分（相差不到 {th.tie:.2f}），不直接回答"
    if p >= clarify_at and len(menu) >= 2:
        return Decision("clarify", menu, f"{why}；有 {len(menu)} 个相近候选，需要确认", p, evidence)
    return _decline(cands, th, p, evidence, why)


def _decline(
    cands: list[Candidate], th: Thresholds, p: float | None, evidence: Evidence | None, why: str = ""
) -> Decision:
    best = cands[0]
    near = [c for c in cands if c.confidence >= th.near_miss][:3]
    if best.missing:
        why = f"最佳匹配度 {best.confidence:.2f}，候选段落缺少“{'、'.join(best.missing)}”"
    return Decision("unknown", near, f"{why}，证据不足", p, evidence)
