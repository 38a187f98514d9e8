"""Turn ranked candidates into answered / clarify / unknown, and the stable result shape.

Thresholds are on the calibrated confidence of ranking.py (0..1, share of the question
found close together in the passage). A confidently wrong answer is worse than "I don't
know", so answering needs both a high confidence and a clear lead over the runner-up;
a close race becomes a short numbered menu; anything weak is declined and logged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from .ranking import Candidate

Status = Literal["answered", "clarify", "unknown"]


@dataclass(frozen=True)
class Thresholds:
    """Decision thresholds (tuned on bench/kb_eval; see decide() for their use)."""

    answer: float = 0.7  # passage confidence needed to answer
    faq_answer: float = 0.72  # FAQ confidence needed to answer from a curated entry
    margin: float = 0.08  # lead over the runner-up needed to answer directly
    answer_clear: float = 0.65  # ...or this confidence with a clear lead:
    clear_margin: float = 0.15
    distinct: float = 0.6  # ...or this confidence when the best passage is the only one
    distinct_margin: float = 0.15  # about the question: this lead, and the runner-up's
    distinct_bm25: float = 0.7  # BM25 at most this share of the best one's
    clarify: float = 0.5  # confidence below which nothing is offered at all
    clarify_window: float = 0.8  # a menu needs (nearly) all question words close together
    menu_window: float = 0.7  # the same, for the other menu entries
    menu_span: float = 0.12  # menu holds candidates within this of the best
    menu_size: int = 4
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
    answer: str | None
    sources: list[Source] = field(default_factory=list)
    reason: str = ""

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

    def choose(self, number: int) -> Answer | None:
        """The answer for menu entry ``number`` (1-based) of a clarify result, else None.
        Lets a chat handler turn the user's reply "2" into a cited answer."""
        if self.status != "clarify" or not 1 <= number <= len(self.sources):
            return None
        s = self.sources[number - 1]
        return Answer(self.question, "answered", s.quote(), [s], f"用户选择了第 {number} 项")

    def reply_text(self) -> str:
        """What a chat handler can send as is (Simplified Chinese)."""
        if self.status == "answered" and self.answer:
            return self.answer
        if self.status == "clarify" and self.answer:
            return self.answer
        text = "抱歉，知识库里没有找到能准确回答这个问题的内容，已记录下来供管理员补充。"
        if self.sources:
            text += "\n可能相关：\n" + "\n".join(f"· {s.citation}" for s in self.sources[:3])
        return text


@dataclass
class Decision:
    """The chosen status and the candidates behind it."""

    status: Status
    chosen: list[Candidate]
    reason: str


def decide(cands: list[Candidate], th: Thresholds, query_empty: bool = False) -> Decision:
    """Apply the thresholds to candidates ordered best first (deduplicated)."""
    if query_empty:
        return Decision("unknown", [], "问题中没有可检索的关键词")
    if not cands:
        return Decision("unknown", [], "没有任何段落与问题相关")
    best = cands[0]
    second = cands[1].confidence if len(cands) > 1 else 0.0
    faqs = [c for c in cands if c.item.kind == "faq"]
    if faqs:
        top_faq = max(faqs, key=lambda c: c.confidence)
        others = [c.confidence for c in faqs if c is not top_faq]
        runner = max(others, default=0.0)
        # Curated entries win over raw passages when they match well.
        if top_faq.confidence >= th.faq_answer and top_faq.confidence - runner >= th.margin and not top_faq.missing:
            return Decision("answered", [top_faq], f"常见问题匹配度 {top_faq.confidence:.2f}")
    lead = best.confidence - second
    # A candidate lacking one of the question's concepts (Candidate.missing) is never
    # the answer and never a menu entry: it is about something else.
    if best.missing:
        return _decline(cands, th)
    if (best.confidence >= th.answer and lead >= th.margin) or (
        best.confidence >= th.answer_clear and lead >= th.clear_margin
    ):
        return Decision(
            "answered",
            [best],
            f"最佳段落匹配度 {best.confidence:.2f}，领先第二名 {best.confidence - second:.2f}",
        )
    if (
        best.confidence >= th.distinct
        and lead >= th.distinct_margin
        and (len(cands) < 2 or cands[1].bm25 <= th.distinct_bm25 * best.bm25)
    ):
        # Colloquial wording leaves question words unmatched everywhere, which caps the
        # confidence; a passage that stands out this clearly is still the one meant.
        return Decision(
            "answered",
            [best],
            f"最佳段落匹配度 {best.confidence:.2f}，明显比其他段落更切题（领先 {lead:.2f}）",
        )
    if best.confidence >= th.clarify and best.window >= th.clarify_window:
        floor = max(th.clarify, best.confidence - th.menu_span)
        menu = [c for c in cands if c.confidence >= floor and c.window >= th.menu_window and not c.missing]
        menu = menu[: th.menu_size]
        if not menu:
            return _decline(cands, th)
        if len(menu) == 1 and best.confidence >= th.answer:
            return Decision("answered", menu, f"唯一候选匹配度 {best.confidence:.2f}")
        return Decision(
            "clarify",
            menu,
            f"最佳匹配度 {best.confidence:.2f}，有 {len(menu)} 个相近候选，需要确认",
        )
    return _decline(cands, th)


def _decline(cands: list[Candidate], th: Thresholds) -> Decision:
    best = cands[0]
    near = [c for c in cands if c.confidence >= th.near_miss][:3]
    lacking = f"，候选段落缺少“{'、'.join(best.missing)}”" if best.missing else ""
    return Decision(
        "unknown",
        near,
        f"最佳匹配度 {best.confidence:.2f}，问题关键词集中出现的比例 {best.window:.2f}{lacking}，证据不足",
    )
