"""Does a burst of refused lookups stall everybody else? (issue 9)

    python bench/lookup_burst.py [--db URL] [--burst 200] [--rounds 3] [--bystanders 40]

Each round fires ``--burst`` concurrent refused lookups (out of reach, unknown, pick list,
guest; the rate limit raised so all of them do their reads) and, while they run, sends
``--bystanders`` help requests from other people, one every few milliseconds. It prints
the bystanders' latency (p50/p99/max) beside two baselines from the same run: the same
requests with no burst, and during a burst of as many plain /帮助 messages (what any
burst costs on the shared message path, lookups or not). Also how long each burst took
and whether every refusal left its audit row.
Target: bystander p99 <= 1 s. Before the fix 16 lookups stalled everybody for ~30 s.
Prints figures; asserts nothing. --db must be a scratch database (it is migrated and filled).
"""

from __future__ import annotations

import argparse
import asyncio
import time

from lookup_bot import demo_bot, pct, timed_say
from sqlalchemy import func, select

from bot.app import OrgBot
from bot.storage.models import AuditEntry

REFUSALS = [
    ("demo_staff", "/培训 A1003"),
    ("demo_staff", "/干部 B0000"),
    ("demo_organizer", "/后备 1002"),
    ("im-guest", "/干部 A1002"),
]


async def bystanders(bot: OrgBot, n: int, tag: str, spacing: float) -> list[float]:
    async def one(i: int) -> float:
        await asyncio.sleep(i * spacing)
        took, reply = await timed_say(bot, f"bystander-{tag}-{i}", "/帮助")
        if "可以帮您" not in reply:
            raise SystemExit(f"bystander got: {reply}")
        return took

    return list(await asyncio.gather(*(one(i) for i in range(n))))


async def audited(bot: OrgBot) -> int:
    async with bot.db() as session:
        return await session.scalar(select(func.count()).where(AuditEntry.action.like("cadre.%"))) or 0


def line(label: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"{label:<28}{pct(ms, 50):>9.1f}{pct(ms, 99):>9.1f}{max(ms):>9.1f}{len(ms):>6}"


async def main(args: argparse.Namespace) -> None:
    bot = await demo_bot(args.db, ORGBOT_CADRES_LOOKUPS_PER_MINUTE="100000", ORGBOT_CADRES_LOOKUPS_PER_DAY="100000")
    quiet: list[float] = []
    loaded: list[float] = []
    chatty: list[float] = []
    bursts: list[float] = []
    help_bursts: list[float] = []
    failures = 0
    try:
        for r in range(args.rounds):
            quiet += await bystanders(bot, args.bystanders, f"q{r}", 0.005)
            before = await audited(bot)
            started = time.perf_counter()
            burst = [
                asyncio.ensure_future(timed_say(bot, who, text, chat=f"dm:{who}:{r}:{i}"))
                for i, (who, text) in enumerate(REFUSALS[i % len(REFUSALS)] for i in range(args.burst))
            ]
            await asyncio.sleep(0)
            loaded += await bystanders(bot, args.bystanders, f"b{r}", 0.005)
            replies = await asyncio.gather(*burst)
            bursts.append(time.perf_counter() - started)
            failures += sum("出错了" in text or "时间太长" in text for _, text in replies)
            missing = args.burst - (await audited(bot) - before)
            if missing:
                print(f"round {r + 1}: {missing} refusal(s) without an audit row")
            started = time.perf_counter()
            others = [asyncio.ensure_future(timed_say(bot, f"other-{r}-{i}", "/帮助")) for i in range(args.burst)]
            await asyncio.sleep(0)
            chatty += await bystanders(bot, args.bystanders, f"h{r}", 0.005)
            await asyncio.gather(*others)
            help_bursts.append(time.perf_counter() - started)
    finally:
        await bot.stop(timeout=2)
    print(f"database: {bot.engine.dialect.name}; pool {bot.engine.pool.status()}")
    print(f"{args.rounds} round(s) of {args.burst} concurrent refused lookups, {args.bystanders} bystanders each")
    print(f"{'bystander /帮助 latency':<28}{'p50':>9}{'p99':>9}{'max':>9}{'n':>6}   (ms)")
    print(line("baseline: no burst", quiet))
    print(line("during the lookup burst", loaded))
    print(line(f"during {args.burst} other /帮助", chatty))
    print(f"lookup burst took (s): {', '.join(f'{b:.2f}' for b in bursts)}; error/timeout replies: {failures}")
    print(f"/帮助 burst took (s): {', '.join(f'{b:.2f}' for b in help_bursts)}")
    print(f"bystander p99 during the burst: {pct(loaded, 99):.2f} s (target <= 1 s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bystanders", type=int, default=40)
    asyncio.run(main(parser.parse_args()))
