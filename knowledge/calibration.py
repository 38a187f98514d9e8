"""How likely the top-ranked clause answers the question: a small logistic model.

The ranking's confidence says how much of the question a passage covers, not how
likely it is to be *the* answer: colloquial wording leaves words unmatched everywhere,
so a right clause may cover 55% of the question while a trap (优秀党员名额) covers 70%
of an unrelated paragraph. The evidence that separates them is spread over several
signals (lead over the runner-up, how close together the words are, question words the
corpus has never seen, repairs made to the question), and their weights are fitted
offline on the development part of bench/kb_eval (bench/kb_calibrate.py) and stored as
data in knowledge/data/calibration.json, so the rule is inspectable and cheap: one dot
product per question. ``contributions`` is what ``orgbot kb test`` shows as the reason.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .passage_features import flat_text
from .query import SYNONYM_FACTOR, Query
from .question_rules import QuestionRules, bundled_rules
from .ranking import Candidate, WeightedClause, any_number_near
from .tokenize import terms

# (confidence, lead over the runner-up, BM25 lead) at or above which the best passage
# stands out: with colloquial wording confidence stays low everywhere, so a clear lead
# over the rest is the strongest single sign that the first clause is the one meant.
STANDS_OUT = ((0.7, 0.08, -1.0), (0.65, 0.15, -1.0), (0.6, 0.15, 0.3))

# Human labels of each evidence field, as `kb test` explains a decision.
LABELS = {
    "confidence": "最佳段落匹配度",
    "lead": "领先第二名",
    "window": "关键词集中程度",
    "bm25_lead": "相关度领先",
    "unknown_words": "知识库从未出现的词",
    "missing_concept": "缺少问题中的概念",
    "repairs": "纠正了错别字",
    "known_unmatched": "段落缺少的问题用词（知识库其他地方有）",
    "top_unmatched": "段落缺少的最重要的问题用词",
    "third_gap": "领先第三名",
    "asks_number": "问数量或时间",
    "stands_out": "明显比其他段落切题",
    "lead_share": "领先占匹配度的比例",
    "lead_clear": "领先是否明显",
    "confident_lead": "匹配度×领先明显",
    "confident_alone": "匹配度×相关度领先",
    "faq": "常见问题条目",
    "unknown_noun": "问题中的名词知识库里从未出现",
    "number_detached": "问数量，但数字不在问题所说的事旁边",
    "nouns_elsewhere": "段落缺少问题中的名词（知识库其他地方有）",
    "unstated_number": "问次数或日期，段落没有在所问的事旁边写明",
}


@dataclass(frozen=True)
class Evidence:
    """What the ranking found for one question, each field scaled to about 0..1."""

    confidence: float  # best candidate's calibrated coverage
    lead: float  # its confidence minus the runner-up's
    window: float  # share of the question found within one ~300-char window
    bm25_lead: float  # 1 - runner-up BM25 / best BM25 (0: tied, 1: alone)
    unknown_words: float  # weight share of question words found nowhere in the corpus
    missing_concept: float  # 1 when the best lacks a key glossary concept of the question
    repairs: float  # typo / homophone repairs made to the question (0, 0.5, 1)
    faq: float  # 1 when the best is a curated FAQ entry
    known_unmatched: float  # weight share of question words the corpus has but the best lacks
    top_unmatched: float  # weight share of the most important question word the best lacks
    third_gap: float  # best confidence minus the third candidate's
    asks_number: float  # 1 when the question asks 几/多少/多久…
    # Interactions: a high confidence counts only with a lead (a linear model cannot
    # express "both" otherwise, and that conjunction is what separates right answers).
    stands_out: float  # 1 when the best clearly leads (STANDS_OUT rules), else 0
    lead_share: float  # lead / confidence: 1 when no other passage is about the question at all
    lead_clear: float  # min(1, 5 × lead): a lead of 0.2 is as clear as it gets
    confident_lead: float  # confidence × lead_clear
    confident_alone: float  # confidence × max(0, bm25_lead)
    # A noun of the question (名额, 公积金) that no passage mentions: the question is
    # about something the documents do not cover, however well its other words match.
    unknown_noun: float = 0.0
    # Asks 几次/多少 but the excerpt's numbers stand away from the question's words
    # (每月开展1次主题党日 does not say how often 党小组会 meets).
    number_detached: float = 0.0
    # Share of the question's nouns that the best passage (with its headings) lacks
    # although the knowledge base has them elsewhere: 任期 in 党支部书记任期几年.
    nouns_elsewhere: float = 0.0
    # 1 when the question asks how often / which day (a `decisive` rule) and
    # the best excerpt states none beside the question's words: decide() never answers.
    unstated_number: float = 0.0

    def vector(self) -> dict[str, float]:
        """Field name -> value, in declaration order."""
        return asdict(self)


def gather(
    query: Query,
    cands: list[Candidate],
    weighted: list[WeightedClause],
    df: Callable[[str], int],
    rules: QuestionRules | None = None,
) -> Evidence:
    """Evidence about ``cands[0]`` (candidates deduplicated, best first; not empty).
    ``df`` is the index's document frequency of a term; ``rules`` the question rules
    (default: the bundled ones)."""
    best = cands[0]
    second = cands[1] if len(cands) > 1 else None
    total = sum(wc.weight for wc in weighted) or 1.0
    matched = {m.split("→", 1)[0] for m in best.matched}
    unknown = known_unmatched = top_unmatched = 0.0
    for wc in weighted:
        if not any(alt.terms and all(df(t) for t in alt.terms) for alt in wc.clause.alternatives):
            unknown += wc.weight
        elif wc.clause.label not in matched:
            known_unmatched += wc.weight
        if wc.clause.label not in matched:
            top_unmatched = max(top_unmatched, wc.weight)
    third = cands[2].confidence if len(cands) > 2 else 0.0
    lead = best.confidence - (second.confidence if second else 0.0)
    bm25_lead = 1.0 - (second.bm25 / best.bm25 if second and best.bm25 > 0 else 0.0)
    lead_clear = max(0.0, min(1.0, 5 * lead))
    return Evidence(
        confidence=best.confidence,
        lead=lead,
        window=best.window,
        bm25_lead=bm25_lead,
        unknown_words=unknown / total,
        missing_concept=1.0 if best.missing else 0.0,
        repairs=min(len(query.fixes), 2) / 2,
        faq=1.0 if best.item.kind == "faq" else 0.0,
        known_unmatched=known_unmatched / total,
        top_unmatched=top_unmatched / total,
        third_gap=best.confidence - third,
        asks_number=1.0 if query.wants_quantity else 0.0,
        stands_out=float(any(best.confidence >= c and lead >= m and bm25_lead >= b for c, m, b in STANDS_OUT)),
        lead_share=max(0.0, lead) / best.confidence if best.confidence > 0 else 0.0,
        lead_clear=lead_clear,
        confident_lead=best.confidence * lead_clear,
        confident_alone=best.confidence * max(0.0, bm25_lead),
        unknown_noun=1.0 if unknown_nouns(query, df) else 0.0,
        number_detached=_number_detached(query, best, weighted, rules or bundled_rules()),
        unstated_number=_number_detached(query, best, weighted, rules or bundled_rules(), decisive_only=True),
        nouns_elsewhere=_nouns_elsewhere(query, best, df),
    )


def _nouns_elsewhere(query: Query, best: Candidate, df: Callable[[str], int]) -> float:
    known = [n for n in query.nouns if any(df(t) for t in terms(n))]
    if not known:
        return 0.0
    flat = flat_text("\n".join((best.item.context, best.item.text, best.item.answer)))
    return sum(1 for n in known if flat_text(n) not in flat) / len(known)


def unknown_nouns(query: Query, df: Callable[[str], int]) -> list[str]:
    """Nouns of the question that no passage contains (none of their index terms)."""
    return [n for n in query.nouns if not any(df(t) for t in terms(n))]


def _number_detached(
    query: Query, best: Candidate, weighted: list[WeightedClause], rules: QuestionRules, decisive_only: bool = False
) -> float:
    """1 when the question asks a number (几次, 多久, 几号…) and the best excerpt states
    none of the kind asked next to the question's own words (``decisive_only``: only
    the kinds whose rule is `decisive`)."""
    numbers = [r.answer for r in rules.rules(query.asks) if r.group == "number" and (r.decisive or not decisive_only)]
    if not numbers or best.item.kind == "faq":
        return 0.0
    # The question's own words that the excerpt uses (a word it lacks cannot be judged),
    # including the forms a rule expands a question word to (多大 → 年满).
    text = best.snippet
    words = [
        alt.text
        for wc in weighted
        if wc.clause.weight >= 1.0
        for alt in wc.clause.alternatives
        if alt.factor >= SYNONYM_FACTOR and alt.text in text
    ]
    if not words:
        return 0.0
    within = rules.penalties.attached_chars
    return 0.0 if all(any_number_near(words, text, n, within) for n in numbers) else 1.0


@dataclass(frozen=True)
class Calibration:
    """Fitted weights and the thresholds chosen with them."""

    bias: float
    weights: dict[str, float]
    answer: float  # probability needed to answer with the best clause
    clarify: float  # probability from which close candidates are offered as a menu
    close: float  # runner-up within this confidence of the best: a close race
    fitted_on: str = ""  # which questions the weights came from
    # A best clause matching less of the question than this is never the answer, however
    # likely (fitted with the threshold; None: Thresholds.floor).
    floor: float | None = None

    def floor_or(self, default: float) -> float:
        """The fitted floor, else ``default`` (Thresholds.floor)."""
        return default if self.floor is None else self.floor

    def probability(self, ev: Evidence) -> float:
        """Estimated probability that the top clause answers the question."""
        z = self.bias + sum(self.weights.get(k, 0.0) * v for k, v in ev.vector().items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def contributions(self, ev: Evidence) -> list[tuple[str, float, float]]:
        """(label, value, contribution to the log-odds), largest effect first."""
        rows = [(LABELS.get(k, k), v, self.weights.get(k, 0.0) * v) for k, v in ev.vector().items()]
        return sorted(rows, key=lambda r: -abs(r[2]))

    def explain(self, ev: Evidence) -> str:
        """One line: the probability and the signals that moved it most."""
        parts = [
            f"{label}{value:.2f}（{'+' if c >= 0 else '−'}{abs(c):.1f}）"
            for label, value, c in self.contributions(ev)[:4]
            if abs(c) >= 0.05
        ]
        return f"估计答对概率 {self.probability(ev):.2f}（回答门槛 {self.answer:.2f}）：" + "，".join(parts)

    def to_json(self) -> str:
        """The stored form (knowledge/data/calibration.json)."""
        return json.dumps(asdict(self), ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        """Parse the stored form; unknown keys are an error, not ignored."""
        return cls(**data)

    @classmethod
    def load(cls, path: Path | None = None) -> Calibration:
        """The bundled calibration, or the one at ``path``."""
        if path is None:
            text = resources.files("knowledge").joinpath("data", "calibration.json").read_text(encoding="utf-8")
        else:
            text = path.read_text(encoding="utf-8")
        return cls.from_dict(json.loads(text))


def fit_logistic(rows: list[dict[str, float]], labels: list[int], l2: float = 0.1) -> tuple[float, dict[str, float]]:
    """L2-regularised logistic regression by Newton's method (a few hundred rows of a
    few features: no numerical library needed). Returns (bias, weights)."""
    names = list(rows[0]) if rows else []
    k = len(names) + 1
    xs = [[1.0, *(r[n] for n in names)] for r in rows]
    w = [0.0] * k
    for _ in range(50):
        grad = [l2 * w[j] if j else 0.0 for j in range(k)]
        hess = [[(l2 if i == j and i else 0.0) for j in range(k)] for i in range(k)]
        for x, y in zip(xs, labels, strict=True):
            z = sum(wj * xj for wj, xj in zip(w, x, strict=True))
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            for i in range(k):
                grad[i] += (p - y) * x[i]
                for j in range(k):
                    hess[i][j] += p * (1 - p) * x[i] * x[j]
        step = _solve(hess, grad)
        w = [wj - sj for wj, sj in zip(w, step, strict=True)]
        if max(abs(sj) for sj in step) < 1e-8:
            break
    return w[0], dict(zip(names, w[1:], strict=True))


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Solve a small linear system by Gaussian elimination with partial pivoting."""
    n = len(b)
    m = [[*row, b[i]] for i, row in enumerate(a)]
    for col in range(n):
        piv = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[piv] = m[piv], m[col]
        if abs(m[col][col]) < 1e-12:
            continue
        for r in range(n):
            if r != col:
                f = m[r][col] / m[col][col]
                m[r] = [x - f * y for x, y in zip(m[r], m[col], strict=True)]
    return [m[i][n] / m[i][i] if abs(m[i][i]) > 1e-12 else 0.0 for i in range(n)]
