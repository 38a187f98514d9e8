"""Does a refused lookup take longer when the ID exists? (issue 10, hole 7)

    python bench/lookup_timing.py [--db URL] [--rounds 300]

A staff member looks up other people's records: IDs that exist (refused: not theirs) and
IDs of the same shape that do not (refused: unknown), interleaved so that machine noise
falls on both alike. Prints both medians side by side with their spread, and a help
request as the baseline for what one message costs. Before the fix the existing IDs took
3-4 ms longer (17.2 vs 13.6 ms); the two medians should now be within noise.
Prints figures; asserts nothing. --db must be a scratch database (it is migrated and filled).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from lookup_bot import demo_bot, pct, timed_say

from bot.app import OrgBot
from bot.cadres import lookups

EXISTING = ["A1002", "A1003", "A1004", "A1005", "A1006", "A1007", "A1008"]
UNKNOWN = ["A9002", "A9003", "A9004", "A9005", "A9006", "A9007", "A9008"]
REFUSED = "没有找到您有权查看的干部记录"


def line(label: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"{label:<24}{statistics.median(ms):>9.2f}{pct(ms, 10):>9.2f}{pct(ms, 90):>9.2f}{len(ms):>7}"


async def old_reads(bot: OrgBot, cadre_id: str) -> float:
    """The reads the lookup made before the fix: the full record (training, reserves), then again to ask
    whether it exists. Timed here beside the new path so the gap it used to open is measured in this run."""
    started = time.perf_counter()
    async with bot.db() as session:
        await lookups.load_cadre(session, cadre_id)
        await lookups.load_cadre(session, cadre_id)
    return time.perf_counter() - started


async def main(args: argparse.Namespace) -> None:
    bot = await demo_bot(args.db, ORGBOT_CADRES_LOOKUPS_PER_MINUTE="100000", ORGBOT_CADRES_LOOKUPS_PER_DAY="100000")
    try:
        for i in range(20):  # warm caches and the connection pool
            await timed_say(bot, "demo_staff", f"/干部 {(EXISTING + UNKNOWN)[i % 14]}")
        existing: list[float] = []
        unknown: list[float] = []
        baseline: list[float] = []
        old_existing: list[float] = []
        old_unknown: list[float] = []
        for i in range(args.rounds):
            order = [(existing, EXISTING[i % 7]), (unknown, UNKNOWN[i % 7])]
            for bucket, cadre_id in order if i % 2 else reversed(order):
                took, reply = await timed_say(bot, "demo_staff", f"/干部 {cadre_id}")
                if REFUSED not in reply:
                    raise SystemExit(f"unexpected reply to {cadre_id}: {reply}")
                bucket.append(took)
            baseline.append((await timed_say(bot, "demo_staff", "/帮助"))[0])
            old_existing.append(await old_reads(bot, EXISTING[i % 7]))
            old_unknown.append(await old_reads(bot, UNKNOWN[i % 7]))
    finally:
        await bot.stop(timeout=2)
    print(f"database: {bot.engine.dialect.name}; {args.rounds} lookups of each kind, interleaved")
    print(f"{'':<24}{'median':>9}{'p10':>9}{'p90':>9}{'n':>7}   (ms)")
    print(line("refused, ID exists", existing))
    print(line("refused, ID unknown", unknown))
    print(line("baseline: /帮助", baseline))
    paired = [(a - b) * 1000 for a, b in zip(existing, unknown, strict=True)]
    diff = (statistics.median(existing) - statistics.median(unknown)) * 1000
    print(
        f"difference of medians (exists - unknown): {diff:+.2f} ms; median of paired differences: "
        f"{statistics.median(paired):+.2f} ms"
    )
    old_diff = (statistics.median(old_existing) - statistics.median(old_unknown)) * 1000
    print(line("old reads, ID exists", old_existing))
    print(line("old reads, ID unknown", old_unknown))
    print(f"the reads the old path made differ by {old_diff:+.2f} ms between the two (this run)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--rounds", type=int, default=300)
    asyncio.run(main(parser.parse_args()))
