"""Fit the answer/decline calibration on the development part of the evaluation set.

    python bench/kb_calibrate.py [--questions bench/kb_eval/fresh_questions.jsonl] [--write]

Runs the knowledge engine over the questions whose "split" is "dev" (never "test"; the
older set, which has no split and was never a held-out part, counts as development data),
labels each one 1 when the first-ranked clause is the right one (0 when it is not, or
when no document answers the question), fits a logistic model on the ranking's
evidence (knowledge/calibration.py) and picks the answer threshold on held-out
probabilities (each question's from a model fitted without any question about the same
clause): the lowest at which confident wrong answers on dev stay within --max-wrong of
all questions, counting only what decide() would answer (a near tie is asked back, a
best clause matching less than the floor is declined). The floor is chosen with it: of
--floors, the one whose threshold answers most dev questions right; then the clarify threshold: the lowest
at which no dev menu is offered for a question the documents do not answer. Questions
declined by rule (a noun in no passage) still teach the fit but set no threshold.
Prints the fitted weights and the dev figures; --write stores them in
knowledge/data/calibration.json, which the engine loads.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.kb_quality import load_questions, matches  # noqa: E402
from knowledge import KnowledgeBase, bundled_corpus_texts, metadata  # noqa: E402
from knowledge.calibration import Calibration, Evidence, fit_logistic  # noqa: E402
from knowledge.decide import Thresholds  # noqa: E402

TARGET = ROOT / "knowledge" / "data" / "calibration.json"


async def collect(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per question: evidence, whether top-1 is right, and whether top-1/2 are close."""
    neutral = Calibration(0.0, {}, answer=2.0, clarify=2.0, close=0.0)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_async_engine(f"sqlite+aiosqlite:///{tmp}/kb.db")
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        kb = await KnowledgeBase.open(engine, None, calibration=neutral)
        await kb.import_paths(bundled_corpus_texts())
        for item in questions:
            report = await kb.explain(item["q"], limit=4)
            ev = report["decision"]["evidence"]
            cands = report["candidates"]
            expect = item["expect"]
            right = [bool(expect) and matches(c, expect) for c in cands]
            out.append(
                {
                    "q": item["q"],
                    "group": _clause_of(item),
                    "evidence": Evidence(**ev) if ev else None,
                    "top1": bool(right and right[0]),
                    "answerable": expect is not None,
                    "right_in_top3": any(right[:3]),
                    "gaps": [cands[0]["score"] - c["score"] for c in cands[1:4]],
                    "hard_decline": report["decision"]["status"] == "unknown"
                    and ev is not None
                    and ev["missing_concept"] > 0,
                    # Declined by rule whatever the probability (a noun of the question
                    # is in no passage), but still a lesson for the model: such traps
                    # look like colloquial questions in every other signal.
                    "by_rule": ev is not None and ev["unknown_noun"] > 0,
                }
            )
        await engine.dispose()
    return out


def _clause_of(item: dict[str, Any]) -> str:
    """The clause a question is about (its own text for a question no clause answers)."""
    expect = item["expect"]
    if not expect:
        return "q:" + item["q"]
    return f"{expect['doc']}#{expect.get('locator_contains') or expect.get('text_contains')}"


FEATURES = ("stands_out", "confidence", "known_unmatched", "lead_share", "number_detached", "nouns_elsewhere")


def loo_probabilities(rows: list[dict[str, Any]], names: tuple[str, ...], l2: float) -> list[float]:
    """Each row's probability from a model fitted without it and without every other
    question about the same clause: what the threshold is chosen on, so that it is not
    set by questions the model has memorised, nor by their rewordings (the two sets
    ask most clauses several ways; a held-out question is about a clause unseen)."""
    xs = [{n: r["evidence"].vector()[n] for n in names} for r in rows]
    ys = [int(r["top1"]) for r in rows]
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault(r["group"], []).append(i)
    out = [0.0] * len(rows)
    for members in groups.values():
        held = set(members)
        keep = [i for i in range(len(rows)) if i not in held]
        b, w = fit_logistic([xs[i] for i in keep], [ys[i] for i in keep], l2)
        cal = Calibration(b, w, 1.0, 1.0, 0.0)
        for i in members:
            out[i] = cal.probability(rows[i]["evidence"])
    return out


def tied(row: dict[str, Any], floor: float) -> bool:
    """decide() does not answer at any probability: the runner-up is a near tie (asked
    back), the best passage matches less of the question than ``floor``, or
    it does not state the number a how-often / how-long question asks (unstated_number)."""
    th = Thresholds()
    ev = row["evidence"]
    return (ev.lead < th.tie and bool(row["gaps"])) or ev.confidence < floor or ev.unstated_number > 0


def choose_answer(rows: list[dict[str, Any]], probs: list[float], total: int, max_wrong: float, floor: float) -> float:
    """Lowest threshold at which answered-but-wrong stays within max_wrong of all
    questions (a near tie is asked back at any probability, so it is never answered)."""
    best = 1.0
    for t in sorted(set(probs), reverse=True):
        wrong = sum(1 for r, p in zip(rows, probs, strict=True) if p >= t and not r["top1"] and not tied(r, floor))
        if wrong / total > max_wrong:
            break
        best = t
    return best


def choose_clarify(rows: list[dict[str, Any]], probs: list[float], answer: float, close: float, floor: float) -> float:
    """Lowest threshold at which no unanswerable question gets a menu (a menu holds the
    close candidates; its right entry need not be first). Menus are offered below the
    answer threshold and, at any probability, for a near tie, so this may lie above it."""
    best = 1.0

    def menu(r: dict[str, Any], p: float) -> bool:
        return (p < answer or tied(r, floor)) and bool(r["gaps"]) and r["gaps"][0] <= close

    for t in sorted(set(probs), reverse=True):
        menus = [r for r, p in zip(rows, probs, strict=True) if p >= t and menu(r, p)]
        if any(not r["answerable"] or not r["right_in_top3"] for r in menus):
            break
        best = t
    return best


def answered_right(rows: list[dict[str, Any]], probs: list[float], answer: float, floor: float) -> int:
    return sum(1 for r, p in zip(rows, probs, strict=True) if p >= answer and not tied(r, floor) and r["top1"])


def figures(rows: list[dict[str, Any]], probs: list[float], answer: float, total: int, floor: float) -> str:
    answerable = sum(1 for r in rows if r["answerable"])
    ans = [r for r, p in zip(rows, probs, strict=True) if p >= answer and not tied(r, floor)]
    right = sum(1 for r in ans if r["top1"])
    wrong = len(ans) - right
    return (
        f"answered right {right}/{answerable} ({100 * right / max(1, answerable):.1f}%), "
        f"confident wrong {wrong}/{total} ({100 * wrong / max(1, total):.1f}%)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--questions",
        type=Path,
        nargs="+",
        default=[ROOT / "bench" / "kb_eval" / "fresh_questions.jsonl", ROOT / "bench" / "kb_eval" / "questions.jsonl"],
        help="question files; a file without splits counts as development data as a whole",
    )
    # 1%, not the 2% of issue 13: on the test part confident wrong answers ran at about
    # four times the held-out dev estimate (5.8% against 1.3% in the last round), so the
    # dev budget keeps a margin.
    parser.add_argument("--max-wrong", type=float, default=0.01, help="share of all dev questions")
    parser.add_argument("--close", type=float, default=0.06, help="runner-up this close makes a menu")
    parser.add_argument("--features", default=",".join(FEATURES))
    parser.add_argument("--l2", type=float, default=0.3)
    parser.add_argument("--floors", default="0.45,0.5,0.55,0.6", help="least match of a best clause, tried")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    dev = [q for path in args.questions for q in load_questions(path) if q.get("split", "dev") == "dev"]
    if not dev:
        raise SystemExit("no questions with split=dev")
    rows = await collect(dev)
    fit_rows = [r for r in rows if r["evidence"] is not None and not r["hard_decline"]]
    names = tuple(args.features.split(","))
    probs = loo_probabilities(fit_rows, names, args.l2)
    # Thresholds are chosen on what the probability decides (not on rule declines).
    open_rows, open_probs = zip(
        *((r, p) for r, p in zip(fit_rows, probs, strict=True) if not r["by_rule"]), strict=True
    )
    # The floor and the threshold are chosen together: for each floor its lowest
    # threshold within the wrong-answer budget; the floor answering most dev questions
    # right wins (the higher one on a tie: a weak match is the riskier answer).
    held, held_probs = list(open_rows), list(open_probs)
    choices = []
    for floor in sorted(float(f) for f in args.floors.split(",")):
        ans = choose_answer(held, held_probs, len(rows), args.max_wrong, floor)
        right = answered_right(held, held_probs, ans, floor)
        print(f"floor {floor:.2f}: answer at {ans:.4f}:", figures(held, held_probs, ans, len(rows), floor))
        choices.append((right, floor, ans))
    _, floor, answer = max(choices)
    clarify = choose_clarify(held, held_probs, answer, args.close, floor)
    print(f"dev, leave-one-clause-out, floor {floor:.2f}:", figures(held, held_probs, answer, len(rows), floor))
    bias, weights = fit_logistic(
        [{n: r["evidence"].vector()[n] for n in names} for r in fit_rows], [int(r["top1"]) for r in fit_rows], args.l2
    )
    cal = Calibration(
        round(bias, 4),
        {k: round(v, 4) for k, v in weights.items()},
        round(answer, 4),
        round(clarify, 4),
        args.close,
        " + ".join(f"bench/kb_eval/{p.name}" for p in args.questions) + f" without split=test ({len(dev)} questions)",
        floor,
    )
    print(cal.to_json())
    if args.write:
        TARGET.write_text(cal.to_json(), encoding="utf-8")
        print(f"written to {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    asyncio.run(main())
