"""Speed and memory benchmark of the knowledge index on synthetic policy-like corpora.

Why synthetic: the real corpus has ~130 passages; the targets are about 1k/10k/100k.
Passages are generated from the bundled texts' own sentences, reshuffled and with
characters swapped, so term statistics look like policy text while the vocabulary grows
with corpus size. Each (size, engine) runs in its own subprocess so that peak memory
(ru_maxrss) is not polluted by earlier runs.

Targets (issue 3): p99 query ≤ 5 ms at 10k and ≤ 20 ms at 100k passages; peak memory for
100k ≤ 300 MiB; loading a saved index ~1 s instead of rebuilding. "bundled" is the real
129-passage knowledge base shipped with orgbot (what a department starts with); its CPU
per question is what a chat message pays on the event loop (issue 9).

``--compare REF`` also runs the same build and query children against the knowledge
package of git commit REF (extracted with ``git archive`` into a temporary folder), so a
change is judged before/after on the same machine in the same run.

    python bench/kb_speed.py                  # bundled,1000,10000,100000
    python bench/kb_speed.py --sizes bundled,1000,10000 --compare main
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUESTIONS_FILE = ROOT / "bench" / "kb_eval" / "questions.jsonl"
FALLBACK_QUESTIONS = [
    "入党积极分子多久考察一次",
    "发展对像公示几天",
    "预备期多长",
    "后被干部怎么培养",
    "党员多长时间不交党费算自行脱党",
    "毕业生党员组织关系能在学校留多久",
    "3会1课多久开一次",
    "今天天气怎么样",
]


def bundled_passages() -> list[tuple[str, str, str]]:
    """(locator, context, text) of the bundled corpus, as KnowledgeBase indexes them."""
    from knowledge import bundled_corpus_texts
    from knowledge.importer import parse_file

    out = []
    for path in bundled_corpus_texts():
        doc = parse_file(path)
        out += [(p.locator, f"{doc.title} {p.heading}", p.text) for p in doc.passages]
    return out


def corpus(n: int) -> list[tuple[str, str, str]]:
    """Passages of a size row: 0 stands for the bundled corpus."""
    return bundled_passages() if n == 0 else synthetic_passages(n)


def synthetic_passages(n: int, seed: int = 7) -> list[tuple[str, str, str]]:
    """(locator, heading, text) triples resembling regulation articles."""
    from knowledge import bundled_corpus_texts

    rng = random.Random(seed)
    text = "".join(p.read_text("utf-8") for p in bundled_corpus_texts())
    sentences = [s for s in re.findall(r"[^。；\n]+[。；]", text) if 8 <= len(s) <= 160]
    chars = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    out = []
    for i in range(n):
        parts = []
        for _ in range(rng.randint(1, 4)):
            s = list(rng.choice(sentences))
            for _ in range(rng.randint(0, 6)):  # grow the vocabulary like a real corpus
                s[rng.randrange(len(s))] = rng.choice(chars)
            parts.append("".join(s))
        chapter = i // 40 + 1
        out.append((f"第{chapter}章 › 第{i % 40 + 1}条", f"第{chapter}章 {rng.choice(sentences)[:12]}", "".join(parts)))
    return out


def questions() -> list[str]:
    if QUESTIONS_FILE.is_file():
        qs = [json.loads(line)["q"] for line in QUESTIONS_FILE.read_text("utf-8").splitlines() if line.strip()]
        return qs[:300]
    return FALLBACK_QUESTIONS * 20


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def latency_stats(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {
        "median_ms": round(statistics.median(samples) * 1000, 3),
        "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))] * 1000, 3),
    }


# ---- child processes --------------------------------------------------------------------
def child_orgbot_build(n: int, path: str) -> dict:
    from knowledge.index import IndexedPassage, PassageIndex

    items = [IndexedPassage(i, "passage", 1, loc, head, text) for i, (loc, head, text) in enumerate(corpus(n))]
    base = peak_mib()
    t = time.perf_counter()
    index = PassageIndex.build(items)
    build_s = time.perf_counter() - t
    t = time.perf_counter()
    index.save(Path(path), "bench")
    save_s = time.perf_counter() - t
    return {
        "build_s": round(build_s, 2),
        "save_s": round(save_s, 2),
        "terms": len(index.vocab),
        "postings": len(index.post_docs),
        "file_mib": round(Path(path).stat().st_size / 2**20, 1),
        "peak_mib": round(peak_mib(), 1),
        "peak_before_build_mib": round(base, 1),
    }


def child_orgbot_query(n: int, path: str) -> dict:
    from knowledge.glossary import Glossary
    from knowledge.homophones import HomophoneFixer
    from knowledge.index import PassageIndex
    from knowledge.query import Segmenter, analyse
    from knowledge.ranking import Ranker

    t = time.perf_counter()
    index = PassageIndex.load(Path(path), "bench")
    load_s = time.perf_counter() - t
    assert index is not None
    glossary = Glossary.load()
    seg = Segmenter(glossary)
    features_s = None
    try:  # as KnowledgeBase does per snapshot (versions that have per-passage features)
        from knowledge.passage_features import FeatureTable
    except ImportError:
        ranker = Ranker(index)
    else:
        t = time.perf_counter()
        table = FeatureTable(index)
        table.precompute()
        features_s = round(time.perf_counter() - t, 2)
        ranker = Ranker(index, features=table)
    fixer = HomophoneFixer(index, glossary, seg)  # as KnowledgeBase does per snapshot
    qs = questions()
    for q in qs[:20]:  # warm-up
        ranker.rank(analyse(q, glossary, seg, fixer))
    # A long-running bot should do the same after loading: the index is long-lived, so
    # keep the cyclic GC from re-scanning its objects during queries.
    gc.freeze()
    lat = []
    cpu = 0.0
    for q in qs:
        t, c = time.perf_counter(), time.process_time()
        ranker.rank(analyse(q, glossary, seg, fixer), limit=12)
        cpu += time.process_time() - c
        lat.append(time.perf_counter() - t)
    return {
        "load_s": round(load_s, 2),
        "features_s": features_s,
        **latency_stats(lat),
        "cpu_ms_per_q": round(1000 * cpu / len(qs), 3),
        "peak_mib": round(peak_mib(), 1),
    }


def child_baseline(n: int) -> dict:
    """Plain BM25 over character bigrams with dicts of dicts (what one writes first)."""
    passages = corpus(n)
    t = time.perf_counter()
    postings: dict[str, dict[int, int]] = defaultdict(dict)
    lengths = []
    for i, (_, head, text) in enumerate(passages):
        s = head + text
        grams = [s[j : j + 2] for j in range(len(s) - 1)]
        lengths.append(len(grams))
        for g, c in Counter(grams).items():
            postings[g][i] = c
    build_s = time.perf_counter() - t
    avg = sum(lengths) / len(lengths)
    k1, b = 1.5, 0.75

    def search(q: str) -> list[tuple[int, float]]:
        scores: dict[int, float] = defaultdict(float)
        for g in {q[j : j + 2] for j in range(len(q) - 1)}:
            plist = postings.get(g)
            if not plist:
                continue
            idf = math.log(1 + (n - len(plist) + 0.5) / (len(plist) + 0.5))
            for d, tf in plist.items():
                scores[d] += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * lengths[d] / avg))
        return sorted(scores.items(), key=lambda kv: -kv[1])[:12]

    qs = questions()
    lat = []
    for q in qs:
        t = time.perf_counter()
        search(q)
        lat.append(time.perf_counter() - t)
    return {"build_s": round(build_s, 2), **latency_stats(lat), "peak_mib": round(peak_mib(), 1)}


# ---- driver -----------------------------------------------------------------------------
def extract(ref: str, dest: Path) -> Path:
    """The knowledge package (and bench inputs) of commit ``ref``, in ``dest``."""
    dest.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "knowledge"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def run_child(*args: str, root: Path = ROOT) -> dict:
    """One measurement in a fresh process, importing ``knowledge`` from ``root``."""
    out = subprocess.run(
        [sys.executable, __file__, "--root", str(root), "--child", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="bundled,1000,10000,100000")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--compare", metavar="REF", help="also measure the knowledge package of git commit REF")
    ap.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        sys.path.insert(0, str(args.root))
        kind, n, *rest = args.child
        fn = {"build": child_orgbot_build, "query": child_orgbot_query, "baseline": child_baseline}[kind]
        print(json.dumps(fn(int(n), *rest)))
        return
    sizes = [0 if s == "bundled" else int(s) for s in args.sizes.split(",") if s]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        old_root = extract(args.compare, Path(tmp) / "ref") if args.compare else None
        for n in sizes:
            path = str(Path(tmp) / f"bench-{n}.idx")
            row: dict = {"passages": n or "bundled"}
            if old_root is not None:
                old_path = str(Path(tmp) / f"ref-{n}.idx")
                run_child("build", str(n), old_path, root=old_root)
                row["before"] = run_child("query", str(n), old_path, root=old_root)
            row["build"] = run_child("build", str(n), path)
            row["query"] = run_child("query", str(n), path)
            if not args.no_baseline:
                row["baseline"] = run_child("baseline", str(n))
            results.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
    print()
    print(
        f"{'passages':>9} | {'build s':>7} {'load s':>6} {'feat. s':>7} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms/q':>8} "
        f"{'peak MiB':>9} | baseline: {'p50 ms':>7} {'p99 ms':>7} {'peak MiB':>9}"
    )
    for r in results:
        b, q, bl = r["build"], r["query"], r.get("baseline", {})
        peak = max(b.get("peak_mib", 0), q.get("peak_mib", 0))
        print(
            f"{r['passages']:>9} | {b.get('build_s', '-'):>7} {q.get('load_s', '-'):>6} {q.get('features_s') or '-':>7} "
            f"{q.get('median_ms', '-'):>7} {q.get('p99_ms', '-'):>7} {q.get('cpu_ms_per_q', '-'):>8} {peak:>9} | "
            f"{'':>9} {bl.get('median_ms', '-'):>7} {bl.get('p99_ms', '-'):>7} {bl.get('peak_mib', '-'):>9}"
        )
        if "before" in r:
            o = r["before"]
            print(
                f"{'  ' + args.compare:>9} | {'':>7} {o.get('load_s', '-'):>6} {'':>7} {o.get('median_ms', '-'):>7} "
                f"{o.get('p99_ms', '-'):>7} {o.get('cpu_ms_per_q', '-'):>8} {o.get('peak_mib', '-'):>9} | "
                f"{o.get('error', '')}"
            )
    print("Targets: p99 ≤ 5 ms at 10k, ≤ 20 ms at 100k; peak ≤ 300 MiB at 100k; load ≈ 1 s.")


if __name__ == "__main__":
    main()
