"""Per-passage features computed once per index must never change what ranking decides.

The features replace re-tokenizing each candidate per question, so the guarantees are:
the terms agree with the index's own postings for any text, and ranking gives exactly
the same candidates, confidences and snippets whether features are precomputed, evicted
from a tiny LRU, or recomputed every time.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge import KnowledgeBase, bundled_corpus_texts, passage_features
from knowledge.engine import _Snapshot
from knowledge.glossary import Glossary
from knowledge.index import IndexedPassage, PassageIndex, PostedTerms
from knowledge.passage_features import SNIPPET_CHARS, FeatureTable
from knowledge.query import Segmenter, analyse
from knowledge.ranking import Candidate, Ranker

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT / "bench" / "kb_eval" / "questions.jsonl"
QUESTIONS = [json.loads(line)["q"] for line in EVAL.read_text("utf-8").splitlines() if line.strip()]
CORPUS = "".join(p.read_text("utf-8") for p in bundled_corpus_texts())

# Text like the corpus, with the things normalization must fold: full-width digits and
# letters, ideographic spaces, mixed case, punctuation and line breaks.
_chars = st.sampled_from(sorted(set(CORPUS[:4000])) + list("０１２３ＡＢab AB12\u3000。；！？\n、"))
texts = st.text(_chars, max_size=700)
items_strategy = st.lists(st.tuples(st.booleans(), st.text(_chars, max_size=30), texts, texts), min_size=1, max_size=12)
SETTINGS = settings(max_examples=60, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def build(rows: list[tuple[bool, str, str, str]]) -> PassageIndex:
    items = [
        IndexedPassage(i, "faq" if faq else "passage", 1, f"第{i}条", context, text, answer if faq else "")
        for i, (faq, context, text, answer) in enumerate(rows)
    ]
    return PassageIndex.build(items)


def posted_terms(index: PassageIndex, pos: int) -> set[str]:
    """The terms whose postings list ``pos``: the index's own tokenization of the item."""
    out = set()
    for term, tid in index.vocab.items():
        if pos in index.post_docs[index.offsets[tid] : index.offsets[tid + 1]]:
            out.add(term)
    return out


@SETTINGS
@given(items_strategy)
def test_features_agree_with_the_index_postings(rows: list[tuple[bool, str, str, str]]) -> None:
    index = build(rows)
    table = FeatureTable(index)
    table.precompute()
    for pos, item in enumerate(index.items):
        f = table.get(pos)
        assert f.answer_terms == posted_terms(index, pos)
        assert f.context_terms <= f.terms <= f.answer_terms
        if item.kind == "passage":
            assert f.terms == f.answer_terms
            # What a large index uses instead of tokenizing: the same answer for every term.
            posted = PostedTerms(index, pos)
            assert {t for t in index.vocab if t in posted} == f.terms
            assert "不在索引" not in posted and 42 not in posted
        if len(item.text) > SNIPPET_CHARS:
            assert all(s.strip() and s in item.text for s in f.sentences)
            assert re.sub(r"\s", "", "".join(f.sentences)) == re.sub(r"\s", "", item.text)  # nothing lost
            assert len(f.sentence_terms) == len(f.sentences)
            assert set().union(*f.sentence_terms) <= f.terms
        else:
            assert f.sentences == ()
    assert table.computed == index.n  # each item once, however often it is asked for
    for pos in range(index.n):
        table.get(pos)
    assert table.computed == index.n


def outcome(cands: list[Candidate]) -> list[tuple]:
    return [(c.pos, c.confidence, c.rank, c.window, c.snippet, c.matched, c.missing) for c in cands]


async def _snapshot(kb: KnowledgeBase) -> _Snapshot:
    return await kb._snapshot()


async def test_ranking_is_identical_with_precomputed_evicted_or_recomputed_features(kb: KnowledgeBase) -> None:
    snap = await _snapshot(kb)
    glossary = Glossary.load()
    seg = Segmenter(glossary)
    precomputed = snap.ranker
    assert len(precomputed.features) == snap.index.n  # built with the snapshot
    tiny = FeatureTable(snap.index, capacity=3)
    none = FeatureTable(snap.index, capacity=0)
    rankers = [Ranker(snap.index, precomputed.faq_cores, table) for table in (tiny, none)]
    computed = precomputed.features.computed
    for q in QUESTIONS:
        query = analyse(q, glossary, seg, snap.homophones)
        expected, _ = precomputed.rank(query, limit=12)
        for ranker in rankers:
            got, _ = ranker.rank(query, limit=12)
            assert outcome(got) == outcome(expected), q
    assert len(tiny) <= 3
    assert len(none) == 0
    assert precomputed.features.computed == computed  # answering computed nothing new


@settings(
    max_examples=80,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(st.integers(0, len(CORPUS) - 12), min_size=1, max_size=3),
    st.sampled_from(["多久", "谁来", "几天", "怎么办", ""]),
)
async def test_ranking_is_identical_for_generated_questions(kb: KnowledgeBase, starts: list[int], tail: str) -> None:
    """Pieces of the documents' own sentences plus question words: questions that reach
    long passages, FAQ-less text and the duration / actor checks."""
    snap = await _snapshot(kb)
    glossary = Glossary.load()
    question = "".join(CORPUS[s : s + 6] for s in starts) + tail
    query = analyse(question, glossary, None, snap.homophones)
    expected, _ = snap.ranker.rank(query, limit=12)
    got, _ = Ranker(snap.index, snap.ranker.faq_cores, FeatureTable(snap.index, capacity=0)).rank(query, limit=12)
    assert outcome(got) == outcome(expected)


async def test_a_new_import_gets_features_of_its_own_index(kb: KnowledgeBase, tmp_path: Path) -> None:
    before = await _snapshot(kb)
    doc = tmp_path / "xinzeng_guiding.txt"
    doc.write_text("新增规定\n第一条 夜间值班人员每月轮换一次，由办公室主任指定。\n", encoding="utf-8")
    await kb.import_paths([doc])
    after = await _snapshot(kb)
    assert after.index is not before.index
    assert after.ranker.features.index is after.index
    assert len(after.ranker.features) == after.index.n
    answer = await kb.ask("夜间值班人员多久轮换一次")
    assert answer.status == "answered", answer.reason
    assert answer.sources[0].doc_key == "xinzeng_guiding"


async def test_a_large_index_keeps_a_bounded_lru(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond PRECOMPUTE_ITEMS an index keeps LRU_ITEMS items' features, not all of them."""
    snap = await _snapshot(kb)
    monkeypatch.setattr(passage_features, "PRECOMPUTE_ITEMS", snap.index.n - 1)
    monkeypatch.setattr(passage_features, "LRU_ITEMS", 7)
    table = FeatureTable(snap.index)
    table.precompute()
    assert table.capacity == 7 and len(table) == 7
    ranker = Ranker(snap.index, snap.ranker.faq_cores, table)
    glossary = Glossary.load()
    for q in QUESTIONS[:40]:
        query = analyse(q, glossary, None, snap.homophones)
        assert outcome(ranker.rank(query, limit=12)[0]) == outcome(snap.ranker.rank(query, limit=12)[0])
        assert len(table) <= 7
    assert snap.ranker.features.capacity == snap.index.n  # the real default: all 129 kept
