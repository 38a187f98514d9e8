"""Rank passages for an analysed question and compute calibrated confidences.

BM25 alone orders passages well but its scale depends on the corpus and the question,
so it cannot tell "clearly answered" from "vaguely related". The confidence used for
decisions is *coverage*: the idf-weighted share of the question's clauses that the best
~300-character window of a passage contains. Unknown words count against a passage (an
off-topic question matches only a little of its own content), which is what makes
declines honest. Curated FAQ entries additionally get a rapidfuzz similarity of the
whole question, which handles word order changes and typos that bigrams miss.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Container, Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from .index import IndexedPassage, PassageIndex
from .passage_features import SNIPPET_CHARS, FeatureTable, PassageFeatures, flat_text
from .query import SYNONYM_FACTOR, Clause, Query
from .question_rules import AskRule, Penalties, QuestionRules, bundled_rules

CANDIDATES = 24  # passages kept after the BM25 pass
WINDOWED = 8  # of which this many get the (costlier) best-window search
BM25_RANK_WEIGHT = 0.25  # how much relative BM25 adds to confidence when ordering
WINDOW_WEIGHT = 0.8
# What a question's words ask for (a number next to the asked word, someone named…) and
# how much a passage that does not state it is demoted, is data: question_rules.toml.
# A passage without one of the question's glossary concepts (党费, 两优一先…), in any of
# its own spellings, is about something else: 离退休党员 in a speech on Party-member
# management does not answer how retirees pay 党费. Such candidates are ranked lower
# ([penalties] missing_concept), and decide() never answers with them or offers them in
# a menu. Only concepts that carry a real share of the question count, and not the action
# asked about: in 如何处理 the passage may well say 予以除名 instead of 处理/处置
# (Clause.asked).
# FAQ answers are searched too (a question may be answered by what an entry says rather
# than how its question is worded), but trusted less than the curated question.
FAQ_ANSWER_WEIGHT = 0.85


@dataclass
class Candidate:
    """A scored passage or FAQ entry."""

    pos: int  # position in the index
    item: IndexedPassage
    bm25: float = 0.0
    coverage: float = 0.0  # over the whole passage (with its headings)
    window: float = 0.0  # coverage of the best ≤300-char window (absolute evidence)
    confidence: float = 0.0  # calibrated, 0..1: what decisions use
    fuzzy: float = 0.0  # FAQ whole-question similarity, 0..1
    snippet: str = ""
    rank: float = 0.0
    matched: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # question concepts the passage lacks
    referred_by: str = ""  # locator of a better-matching clause that only points here (references.py)


@dataclass
class WeightedClause:
    """A clause with its importance in this corpus."""

    clause: Clause
    weight: float
    masses: list[float]  # idf mass of each alternative
    alt_idf: list[list[tuple[str, float]]] = field(default_factory=list)  # (term, idf) per alternative
    # A plain one-bigram clause (most of them) is one set lookup in coverage().
    single: str | None = field(init=False, default=None)
    single_gain: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        alts = self.clause.alternatives
        if len(alts) == 1 and len(alts[0].terms) == 1:
            self.single = alts[0].terms[0]
            self.single_gain = self.weight * alts[0].factor


class Ranker:
    """Scores one question against one index (stateless apart from the index)."""

    def __init__(
        self,
        index: PassageIndex,
        faq_cores: dict[int, list[str]] | None = None,
        features: FeatureTable | None = None,
        rules: QuestionRules | None = None,
    ) -> None:
        self.index = index
        self.rules = rules or bundled_rules()
        # Per-passage facts computed once per index (KnowledgeBase precomputes them when
        # it builds the snapshot; without a table they are computed on first use).
        self.features = features if features is not None else FeatureTable(index)
        # FAQ position in index -> canonicalized question forms, for fuzzy matching.
        self.faq_cores = faq_cores or {}
        self._faq_keys = [(pos, core) for pos, cores in self.faq_cores.items() for core in cores]

    # -- clause weights -------------------------------------------------------------
    def weigh(self, query: Query) -> list[WeightedClause]:
        """Importance of each clause = idf mass of what was typed (capped at 3 terms)."""
        idf = self.index.idf
        out = []
        for clause in query.clauses:
            masses = [sum(idf(t) for t in alt.terms) for alt in clause.alternatives]
            typed = clause.alternatives[0]
            known = [a for a in clause.alternatives if all(self.index.df(t) for t in a.terms)]
            basis = typed if (not known or typed in known) else known[0]
            mean = sum(idf(t) for t in basis.terms) / len(basis.terms)
            weight = mean * min(len(basis.terms), 3) * clause.weight
            alt_idf = [[(t, idf(t)) for t in alt.terms] for alt in clause.alternatives]
            out.append(WeightedClause(clause, weight, masses, alt_idf))
        return out

    # -- BM25 candidate pass --------------------------------------------------------
    def bm25(self, clauses: list[WeightedClause]) -> dict[int, float]:
        """Candidate positions with clause-normalized BM25 scores."""
        index = self.index
        # Terms in more than `cap` passages are too common to find candidates with; they
        # are only added to the candidates' scores afterwards (max-score style pruning).
        cap = max(200, index.n // 50)
        acc: dict[int, float] = {}
        deferred: list[tuple[str, float]] = []
        for wc in clauses:
            alts = wc.clause.alternatives
            if len(alts) == 1 and len(alts[0].terms) == 1:
                term = alts[0].terms[0]
                mult = wc.weight / max(index.idf(term), 1e-9)
                if index.df(term) > cap:
                    deferred.append((term, mult))
                else:
                    index.accumulate(term, mult, acc)
                continue
            best: dict[int, float] = {}
            for alt, mass in zip(alts, wc.masses, strict=True):
                if mass <= 0:
                    continue
                part: dict[int, float] = {}
                for term in alt.terms:
                    if index.df(term) <= cap:
                        index.accumulate(term, alt.factor * wc.weight / mass, part)
                for d, s in part.items():
                    if s > best.get(d, 0.0):
                        best[d] = s
            for d, s in best.items():
                acc[d] = acc.get(d, 0.0) + s
        if not acc and deferred:
            deferred.sort(key=lambda tm: index.df(tm[0]))
            term, mult = deferred.pop(0)
            index.accumulate(term, mult, acc)
        top = heapq.nlargest(CANDIDATES, acc.items(), key=lambda kv: kv[1])
        scores = dict(top)
        for term, mult in deferred:
            for d in scores:
                scores[d] += index.term_score(term, mult, d)
        return scores

    # -- coverage -------------------------------------------------------------------
    @staticmethod
    def coverage(
        clauses: list[WeightedClause], present: Container[str], total: float | None = None
    ) -> tuple[float, list[str]]:
        """Weighted share of clauses found in ``present`` terms, and what matched
        (``total``: the clauses' summed weight, when the caller already has it)."""
        if total is None:
            total = sum(wc.weight for wc in clauses)
        if total <= 0:
            return 0.0, []
        got = 0.0
        matched: list[str] = []
        for wc in clauses:
            single = wc.single
            if single is not None:  # plain bigram: the common case
                if single in present:
                    got += wc.single_gain
                    matched.append(wc.clause.label)
                continue
            best, best_alt = 0.0, None
            for alt, mass, pairs in zip(wc.clause.alternatives, wc.masses, wc.alt_idf, strict=True):
                if mass <= 0:
                    continue
                frac = alt.factor * sum(v for t, v in pairs if t in present) / mass
                if frac > best:
                    best, best_alt = frac, alt.text
            got += wc.weight * best
            if best_alt is not None and best >= 0.5:
                matched.append(best_alt if best_alt == wc.clause.label else f"{wc.clause.label}→{best_alt}")
        return got / total, matched

    def best_window(self, clauses: list[WeightedClause], features: PassageFeatures, text: str) -> tuple[float, str]:
        """The ≤SNIPPET_CHARS run of sentences covering most of the question.

        Coverage only grows as a window extends, so only the longest window from each
        starting sentence needs scoring: linear in the number of sentences."""
        total = sum(wc.weight for wc in clauses)
        if len(text) <= SNIPPET_CHARS:
            cov, _ = self.coverage(clauses, features.terms, total)
            return cov, text
        sentences = features.sentences
        sent_terms = features.sentence_terms
        context = features.context_terms
        best, best_span = -1.0, (0, 1)
        j = 0
        for i in range(len(sentences)):
            j = max(j, i + 1)
            length = sum(len(s) for s in sentences[i:j])
            while j < len(sentences) and length + len(sentences[j]) <= SNIPPET_CHARS:
                length += len(sentences[j])
                j += 1
            present = context.union(*sent_terms[i:j])
            cov, _ = self.coverage(clauses, present, total)
            if cov > best + 1e-9:
                best, best_span = cov, (i, j)
            if j == len(sentences):
                break
        snippet = "".join(sentences[best_span[0] : best_span[1]]).strip()
        if len(snippet) > SNIPPET_CHARS:
            snippet = snippet[:SNIPPET_CHARS] + "…"
        return best, snippet

    # -- full ranking ---------------------------------------------------------------
    def rank(self, query: Query, limit: int = 10) -> tuple[list[Candidate], list[WeightedClause]]:
        """Candidates ordered best first, with confidences."""
        clauses = self.weigh(query)
        if not clauses or self.index.n == 0:
            return [], clauses
        scores = self.bm25(clauses)
        fuzzy = self._fuzzy_faq(query.core)
        for pos in fuzzy:
            scores.setdefault(pos, 0.0)
        if not scores:
            return [], clauses
        top_bm25 = max(scores.values()) or 1.0
        total = sum(wc.weight for wc in clauses)
        asks = self.rules.rules(query.asks)
        screens = [r for r in asks if r.screen]
        penalties = self.rules.penalties
        cands: list[Candidate] = []
        facts: dict[int, PassageFeatures] = {}
        for pos, s in scores.items():
            item = self.index.items[pos]
            f = facts[pos] = self.features.get(pos)
            cov, matched = self.coverage(clauses, f.terms, total)
            c = Candidate(pos, item, bm25=s, coverage=cov, matched=matched, fuzzy=fuzzy.get(pos, 0.0))
            c.rank = cov + BM25_RANK_WEIGHT * s / top_bm25
            if item.kind != "faq" and screens:
                # Cannot answer 几天/多久 at all: spend no window search on it.
                c.rank *= asked_factor((r, 1.0 if f.states(r.answer) else r.penalty) for r in screens)
            cands.append(c)
        cands.sort(key=lambda c: c.rank, reverse=True)
        for i, c in enumerate(cands):
            f = facts[c.pos]
            if c.item.kind == "faq":
                c.confidence = c.window = max(c.coverage, c.fuzzy)
                if c.item.answer:
                    full, _ = self.coverage(clauses, f.answer_terms, total)
                    c.confidence = c.window = max(c.confidence, FAQ_ANSWER_WEIGHT * full)
                c.snippet = c.item.text
                c.missing = missing_concepts(clauses, f.flat, penalties)
            elif i < WINDOWED:
                win, c.snippet = self.best_window(clauses, f, c.item.text)
                c.window = win
                # Evidence must be close together (the window), and the passage should be
                # about it (BM25 relative to the best one breaks ties between passages
                # that all mention the question's words).
                c.confidence = WINDOW_WEIGHT * win + (1 - WINDOW_WEIGHT) * c.bm25 / top_bm25
                c.confidence *= asked_factor((r, excerpt_factor(r, clauses, c.snippet, penalties)) for r in asks)
                c.missing = missing_concepts(clauses, f.flat, penalties)
            else:
                c.confidence = 0.7 * c.coverage  # not examined closely: never outranks
                c.snippet = c.item.text[:SNIPPET_CHARS]
            c.rank = c.confidence + BM25_RANK_WEIGHT * c.bm25 / top_bm25
            if c.missing:
                c.rank *= penalties.missing_concept
        cands.sort(key=lambda c: c.rank, reverse=True)
        return cands[:limit], clauses

    def _fuzzy_faq(self, core: str) -> dict[int, float]:
        """Whole-question similarity to each FAQ form (best per entry)."""
        if not core or not self._faq_keys:
            return {}
        out: dict[int, float] = {}
        for pos, form in self._faq_keys:
            sim = fuzz.ratio(core, form) / 100.0
            if sim >= 0.5 and sim > out.get(pos, 0.0):
                out[pos] = sim
        return out


def asked_factor(factors: Iterable[tuple[AskRule, float]]) -> float:
    """Combined confidence factor of (rule, factor) pairs for what the question's words
    ask. Rules of one group do not compound (多久 is both a quantity and a duration):
    the strongest applies."""
    worst: dict[str, float] = {}
    for rule, factor in factors:
        worst[rule.group] = min(worst.get(rule.group, 1.0), factor)
    out = 1.0
    for factor in worst.values():
        out *= factor
    return out


def excerpt_factor(rule: AskRule, clauses: list[WeightedClause], excerpt: str, penalties: Penalties) -> float:
    """1 when ``excerpt`` states what ``rule`` asks for next to the question's words, the
    rule's detached penalty when only away from them, its penalty when not at all."""
    if not rule.answer.search(excerpt):
        return rule.penalty
    if rule.attached and not number_attached(clauses, excerpt, rule.answer, penalties.attached_chars):
        return rule.detached_penalty
    return 1.0


def number_attached(clauses: list[WeightedClause], text: str, number: re.Pattern[str], within: int) -> bool:
    """Whether some ``number`` (a length of time…) in ``text`` stands within ``within``
    characters of one of the question's plain (non-glossary) words. Questions made only
    of concepts pass."""
    words = [
        wc.clause.label
        for wc in clauses
        if wc.clause.concept is None and wc.clause.weight >= 1.0 and len(wc.clause.alternatives) == 1
    ]
    return not words or any_number_near(words, text, number, within)


def any_number_near(words: list[str], text: str, number: re.Pattern[str], within: int) -> bool:
    """Whether some ``number`` match in ``text`` has one of ``words`` within ``within``
    characters of it."""
    for m in number.finditer(text):
        near = text[max(0, m.start() - within) : m.end() + within]
        if any(w in near for w in words):
            return True
    return False


def missing_concepts(clauses: list[WeightedClause], flat: str, penalties: Penalties | None = None) -> list[str]:
    """Labels of the question's key glossary concepts that ``flat`` (a passage's
    ``PassageFeatures.flat``) never spells out, in the
    typed form, the canonical form or a synonym (related concepts do not count). A
    question that is nothing but one concept (2优1先) needs the concept itself: a
    synonym in passing (优秀共产党员) is not about it."""
    share = (penalties or bundled_rules().penalties).key_concept_share
    total = sum(wc.weight for wc in clauses)
    concepts = [
        wc.clause
        for wc in clauses
        if wc.clause.concept is not None and not wc.clause.asked and wc.weight >= share * total
    ]
    if not concepts:
        return []
    bare = len(clauses) == 1
    out = []
    for clause in concepts:
        if bare:
            forms = [clause.alternatives[0].text, clause.concept or ""]
        else:
            forms = [a.text for a in clause.alternatives if a.factor >= SYNONYM_FACTOR]
        if not any(f and flat_text(f) in flat for f in forms):
            out.append(clause.label)
    return out
