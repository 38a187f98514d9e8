"""A clause that answers by pointing at another one defers to the clause it points at.

第三十二条 of the 细则 says the 转正 meeting's quorum "与讨论接收预备党员的党支部党员大会
相同": it quotes the words of a question about the 接收 meeting almost verbatim, so it
covers that question better than 第十九条, which actually states the quorum. What the
referring clause matches only inside its reference ("与…相同", "按照第十九条…") is the
referenced clause's subject, not its own; when the question needs those words and the
referenced clause is among the candidates, the referenced clause is the answer, unless
what the referring clause matches on its own (转正), and the referenced one lacks, weighs
more than what it borrows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container

from .passage_features import flat_text
from .ranking import Candidate, Ranker, WeightedClause
from .tokenize import normalize, term_set

# "与<subject>相同", "参照<subject>执行", "按照本办法第二条执行": the subject referred to.
REFERENCE = re.compile(r"(?:与|按照|依照|参照)([^，。；：、]{2,40}?)(?:的规定|的要求)?(?:相同|一致|执行|办理)")
ARTICLE = re.compile(r"第[一二三四五六七八九十百零]+条")


def defer_to_referenced(
    cands: list[Candidate],
    clauses: list[WeightedClause],
    context_terms: Callable[[Candidate], Container[str]],
    flat_of: Callable[[Candidate], str],
) -> list[Candidate]:
    """``cands`` (best first) with the referenced clause first when the best one matches
    part of the question only inside a reference to it. The referenced clause takes the
    referring clause's confidence (the question is about what it states); the referring
    one keeps the confidence of what it covers outside the reference. Unchanged otherwise."""
    if len(cands) < 2 or cands[0].item.kind != "passage":
        return cands
    best = cands[0]
    text = normalize(best.item.text)
    for m in REFERENCE.finditer(text):
        outside = term_set(text[: m.start()] + "。" + text[m.end() :])
        present = _Union(outside, context_terms(best))
        own_cov, _ = Ranker.coverage(clauses, present)
        whole_terms = _Union(term_set(text), context_terms(best))
        whole, _ = Ranker.coverage(clauses, whole_terms)
        if whole <= 0 or own_cov >= whole - 1e-9:
            continue  # the question's words are all the clause's own
        target = _referenced(cands[1:], best, m, flat_of)
        if target is None or target.missing:
            continue
        # 讨论转正的支部大会…跟接收时一样吗 borrows 接收 too, but is about the referring
        # clause's own subject (转正), which the referenced clause lacks: it stays first.
        borrowed = _heaviest(clauses, whole_terms, present)
        own = _heaviest(clauses, present, term_set(flat_of(target)))
        if borrowed <= own:
            continue
        before = {id(c): c.confidence for c in (target, best)}
        target.confidence = max(target.confidence, best.confidence)
        target.referred_by = best.item.locator
        best.confidence *= own_cov / whole
        for c in (target, best):
            c.rank += c.confidence - before[id(c)]
        return [target, best, *(c for c in cands[1:] if c is not target)]
    return cands


def _referenced(
    others: list[Candidate], best: Candidate, m: re.Match[str], flat_of: Callable[[Candidate], str]
) -> Candidate | None:
    phrase = m.group(1)
    article = ARTICLE.search(phrase)
    for c in others:
        if c.item.kind != "passage" or c.item.doc_id != best.item.doc_id:
            continue
        if article and c.item.locator.split("（续")[0].endswith(article.group()):
            return c
        if not article and len(phrase) >= 4 and flat_text(phrase) in flat_of(c):
            return c
    return None


def _has(wc: WeightedClause, present: Container[str]) -> bool:
    """Whether ``present`` holds (at least half of) the clause."""
    cov, _ = Ranker.coverage([wc], present)
    return cov >= 0.5


def _heaviest(clauses: list[WeightedClause], there: Container[str], not_there: Container[str]) -> float:
    """Weight of the heaviest clause found in ``there`` but not in ``not_there`` (0: none)."""
    return max((wc.weight for wc in clauses if _has(wc, there) and not _has(wc, not_there)), default=0.0)


class _Union:
    """Membership in either of two term collections, without copying them."""

    def __init__(self, a: Container[str], b: Container[str]) -> None:
        self.a, self.b = a, b

    def __contains__(self, term: object) -> bool:
        return term in self.a or term in self.b
