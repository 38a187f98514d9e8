"""Decision rules on hand-made candidates (no corpus needed)."""

from __future__ import annotations

from knowledge.decide import Thresholds, decide
from knowledge.index import IndexedPassage
from knowledge.ranking import Candidate


def _cand(pos: int, confidence: float, bm25: float) -> Candidate:
    item = IndexedPassage(pos, "passage", 1, f"第{pos}条", "", "正文")
    return Candidate(pos, item, bm25=bm25, coverage=confidence, window=confidence, confidence=confidence)


def test_passage_that_stands_out_is_answered_despite_colloquial_wording() -> None:
    # Confidence below the usual bar, but the runner-up is far behind in both measures.
    cands = [_cand(1, 0.62, 10.0), _cand(2, 0.35, 3.0)]
    assert decide(cands, Thresholds()).status == "answered"


def test_same_confidence_without_a_distinct_passage_is_declined() -> None:
    # Another passage is about as much about the question (BM25 close): not sure enough.
    cands = [_cand(1, 0.62, 10.0), _cand(2, 0.35, 8.0)]
    assert decide(cands, Thresholds()).status == "unknown"
    # And a weak best passage is never answered, however alone it is.
    assert decide([_cand(1, 0.55, 10.0), _cand(2, 0.2, 1.0)], Thresholds()).status != "answered"
