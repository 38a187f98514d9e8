"""Policy Q&A quality on the project's evaluation set, next to a plain baseline in the same run.

    python bench/kb_quality.py [--questions bench/kb_eval/fresh_questions.jsonl] [--show-misses]

Questions carrying a "split" ("dev" / "test") are reported part by part: the decision
is tuned on the dev part only, so the test part is the honest figure. Prints, for orgbot's knowledge engine and for a plain BM25 over character bigrams
(same passages, same questions): top-1 and top-3 hit rate on answerable questions,
the share of unanswerable questions declined, and the share of confident wrong
answers (answered, but with the wrong clause or for a question the documents do not
answer). The baseline has no decision step of its own: it answers whenever any
bigram matches, which is what a plain retriever does.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parent.parent
# Measure this checkout, not whatever tree an editable install happens to point at.
sys.path.insert(0, str(ROOT))

from knowledge import KnowledgeBase, bundled_corpus_texts, metadata, store  # noqa: E402


@dataclass
class Tally:
    answerable: int = 0
    unanswerable: int = 0
    top1: int = 0
    top3: int = 0
    declined: int = 0
    confident_wrong: int = 0
    answered_right: int = 0
    clarified: int = 0
    misses: list[str] = field(default_factory=list)

    def row(self, name: str) -> str:
        total = self.answerable + self.unanswerable
        pct = lambda n, d: f"{100 * n / d:5.1f}%" if d else "  n/a"  # noqa: E731
        return (
            f"{name:<30} {pct(self.top1, self.answerable)}  {pct(self.top3, self.answerable)}  "
            f"{pct(self.declined, self.unanswerable)}  {pct(self.confident_wrong, total)}  "
            f"{pct(self.answered_right, self.answerable)}  {pct(self.clarified, total)}"
        )


def matches(source: dict[str, Any], expect: dict[str, Any]) -> bool:
    if source.get("doc_key") != expect["doc"]:
        return False
    loc = expect.get("locator_contains")
    txt = expect.get("text_contains")
    return bool((loc and loc in source.get("locator", "")) or (txt and txt in source.get("text", "")))


def load_questions(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


async def run_engine(kb: KnowledgeBase, questions: list[dict[str, Any]], show: bool) -> tuple[Tally, list[float]]:
    t = Tally()
    latencies = []
    for item in questions:
        start = time.perf_counter()
        report = await kb.explain(item["q"], limit=10)
        latencies.append(time.perf_counter() - start)
        cands = report["candidates"]
        status = report["result"]["status"]
        expect = item["expect"]
        if expect is None:
            t.unanswerable += 1
            if status == "unknown":
                t.declined += 1
            elif status == "answered":
                t.confident_wrong += 1
                t.misses.append(f"答了不该答的：{item['q']} → {cands[0]['citation'] if cands else '?'}")
            else:
                t.clarified += 1
            continue
        t.answerable += 1
        hit1 = bool(cands) and matches(cands[0], expect)
        t.top1 += hit1
        t.top3 += any(matches(c, expect) for c in cands[:3])
        if status == "answered":
            answered_source = report["result"]["sources"][0]
            if matches(answered_source, expect):
                t.answered_right += 1
            else:
                t.confident_wrong += 1
                t.misses.append(f"答错：{item['q']} → {answered_source['citation']}（应为 {expect})")
        elif status == "clarify":
            t.clarified += 1
        elif show:
            t.misses.append(f"没答：{item['q']}（应为 {expect['doc']} {expect.get('locator_contains')}）")
    return t, latencies


class BigramBM25:
    """The baseline: BM25 (k1=1.5, b=0.75) over overlapping character bigrams of each passage."""

    def __init__(self, passages: list[dict[str, Any]]) -> None:
        self.passages = passages
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.lengths = []
        for i, p in enumerate(passages):
            grams = self.grams(p["heading"] + p["text"])
            self.lengths.append(len(grams))
            for g, n in Counter(grams).items():
                self.postings[g].append((i, n))
        self.avg = sum(self.lengths) / max(1, len(self.lengths))

    @staticmethod
    def grams(text: str) -> list[str]:
        chars = [c for c in text if c.isalnum()]
        return [a + b for a, b in itertools.pairwise(chars)]

    def search(self, question: str, k: int = 3) -> list[int]:
        scores: dict[int, float] = defaultdict(float)
        n = len(self.passages)
        for g in set(self.grams(question)):
            plist = self.postings.get(g)
            if not plist:
                continue
            idf = math.log(1 + (n - len(plist) + 0.5) / (len(plist) + 0.5))
            for i, tf in plist:
                denom = tf + 1.5 * (1 - 0.75 + 0.75 * self.lengths[i] / self.avg)
                scores[i] += idf * tf * 2.5 / denom
        return [i for i, _ in sorted(scores.items(), key=lambda kv: -kv[1])[:k]]


def run_baseline(passages: list[dict[str, Any]], questions: list[dict[str, Any]]) -> Tally:
    bm25 = BigramBM25(passages)
    t = Tally()
    for item in questions:
        top = [passages[i] for i in bm25.search(item["q"])]
        expect = item["expect"]
        if expect is None:
            t.unanswerable += 1
            if top:
                t.confident_wrong += 1
            else:
                t.declined += 1
            continue
        t.answerable += 1
        t.top1 += bool(top) and matches(top[0], expect)
        t.top3 += any(matches(p, expect) for p in top)
        if top and matches(top[0], expect):
            t.answered_right += 1
        elif top:
            t.confident_wrong += 1
    return t


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=Path, default=ROOT / "bench" / "kb_eval" / "fresh_questions.jsonl")
    parser.add_argument("--split", choices=["dev", "test"], help="report only this part")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    questions = load_questions(args.questions)

    with tempfile.TemporaryDirectory() as tmp:
        engine = create_async_engine(f"sqlite+aiosqlite:///{tmp}/kb.db")
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        kb = await KnowledgeBase.open(engine, Path(tmp) / "index")
        await kb.import_paths(bundled_corpus_texts())
        async with engine.connect() as conn:
            rows = await conn.execute(
                sa.select(
                    store.passages.c.locator, store.passages.c.heading, store.passages.c.text, store.documents.c.doc_key
                ).join(store.documents)
            )
            passages = [dict(r._mapping) for r in rows]
        parts = split_parts(questions, args.split)
        results = {name: await run_engine(kb, qs, args.show_misses) for name, qs in parts.items()}
        await engine.dispose()

    answerable = sum(1 for q in questions if q["expect"] is not None)
    print(
        f"Evaluation set: {len(questions)} questions ({answerable} answerable, "
        f"{len(questions) - answerable} not answerable by the documents); {len(passages)} passages."
    )
    print(f"{'':<30} {'top-1':>6}  {'top-3':>6}  {'declined':>6}  {'conf.wrong':>6}  {'ans.right':>6}  {'clarify':>6}")
    latencies: list[float] = []
    for name, qs in parts.items():
        engine_tally, lat = results[name]
        latencies += lat
        n_ans = sum(1 for q in qs if q["expect"] is not None)
        print(f"-- {name}: {len(qs)} questions, {n_ans} answerable, {len(qs) - n_ans} not")
        print(engine_tally.row(f"orgbot knowledge [{name}]"))
        print(run_baseline(passages, qs).row(f"baseline BM25 [{name}]"))
    latencies.sort()
    print(
        f"orgbot explain() latency on this set: median {1000 * latencies[len(latencies) // 2]:.2f} ms, "
        f"max {1000 * latencies[-1]:.2f} ms"
    )
    print(
        "Targets (test part): answered right ≥ 88% of answerable, confident wrong ≤ 2%, "
        "unanswerable declined ≥ 93%, top-1 ≥ 95%."
    )
    if args.show_misses:
        for name in parts:
            print(f"\n== misses [{name}]")
            print("\n".join(results[name][0].misses))


def split_parts(questions: list[dict[str, Any]], only: str | None) -> dict[str, list[dict[str, Any]]]:
    """dev / test parts when the set is split, else the whole set as one part."""
    names = sorted({q.get("split", "all") for q in questions}, key=lambda n: {"dev": 0, "test": 1}.get(n, 2))
    if only:
        names = [only]
    return {n: [q for q in questions if q.get("split", "all") == n] for n in names}


if __name__ == "__main__":
    asyncio.run(main())
