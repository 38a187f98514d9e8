"""Scheduler figures: start-up with 10,000 stored schedules, fire lateness (p50/p99), outbox throughput.

    python bench/scheduler_bench.py [--db URL] [--schedules 10000] [--due 200] [--pushes 5000]

Prints figures; asserts nothing. Uses a fresh SQLite file unless --db names a database
(it must be an empty one you are happy to fill: the bench migrates and writes to it).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, select

from bot.app import OrgBot
from bot.channels.local import LocalChannel
from bot.config import load_config
from bot.messages import Target
from bot.scheduling.models import OutboxRow, Schedule
from bot.scheduling.outbox import PushItem, enqueue
from bot.scheduling.rules import Policy, Rule, next_fires
from bot.scheduling.targets import TargetSpec, dump_targets
from bot.storage.models import Staff

RULES = [
    Rule("calendar", day="last_workday", time="16:00"),
    Rule("cron", cron="0 9 * * 1", shift="none"),
    Rule("calendar", months=(1, 4, 7, 10), day="5", deadline=True, ladder=(3, 1, 0)),
    Rule("once", at="2027-06-20T17:30", deadline=True, ladder=(7, 3, 1, 0)),
]


def make_bot(url: str, **env: str) -> OrgBot:
    environ = {"ORGBOT_DATABASE_URL": url, "ORGBOT_API_TOKEN": "bench", "ORGBOT_LOG_LEVEL": "WARNING", **env}
    bot = OrgBot(load_config(None, environ=environ))
    bot.add_channel(LocalChannel())
    return bot


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def store_schedules(url: str, n: int) -> float:
    bot = make_bot(url)
    await bot.start(background=False)
    policy = Policy.from_config(bot.config)
    now = bot.clock.now()
    started = time.perf_counter()
    rows = []
    for i in range(n):
        rule = RULES[i % len(RULES)]
        fire = next_fires(rule, policy, now, 1)[0]
        rows.append(
            {
                "name": f"bench {i}",
                "kind": "recurring",
                "text": "bench",
                "rule": rule.to_json(),
                "targets": dump_targets([TargetSpec("user", "bench0")]),
                "status": "active",
                "urgent": False,
                "receipt": False,
                "next_fire_at": fire.at,
                "next_stage": fire.stage,
                "plan_key": policy.key,  # as sched.create stores it
                "created_by": "bench",
                "created_at": now,
                "updated_at": now,
            }
        )
    computed = time.perf_counter() - started
    async with bot.db() as session, session.begin():
        for start in range(0, n, 1000):
            await session.execute(insert(Schedule), rows[start : start + 1000])
        await session.execute(
            insert(Staff),
            [
                {
                    "user_id": f"bench{i}",
                    "name": f"压测{i}",
                    "role": "staff",
                    "active": True,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(50)
            ],
        )
    await bot.stop(timeout=1)
    return computed


async def startup(url: str) -> tuple[float, float]:
    started = time.perf_counter()
    bot = make_bot(url)
    await bot.start(background=False)
    ready = time.perf_counter() - started
    service = bot.scheduling
    t0 = time.perf_counter()
    await service.tick()
    first_tick = time.perf_counter() - t0
    await bot.stop(timeout=1)
    return ready, first_tick


async def lateness(url: str, due: int, spread: float) -> list[float]:
    """``due`` one-off schedules spread over ``spread`` seconds from now; run the real scheduler."""
    bot = make_bot(url, ORGBOT_SCHEDULER_POLL_SECONDS="2", ORGBOT_OUTBOX_LOCAL_PER_SECOND="5000")
    await bot.start(background=False)
    policy = Policy.from_config(bot.config)
    now = bot.clock.now() + timedelta(seconds=3)
    rows = []
    for i in range(due):
        at = now + timedelta(seconds=spread * i / due)
        rule = Rule("once", at=at.astimezone(policy.tz).replace(tzinfo=None).isoformat(), shift="none")
        rows.append(
            {
                "name": f"due {i}",
                "kind": "reminder",
                "text": "bench",
                "rule": rule.to_json(),
                "targets": dump_targets([TargetSpec("user", f"bench{i % 50}")]),
                "status": "active",
                "urgent": True,
                "receipt": False,
                "next_fire_at": at,
                "next_stage": "",
                "plan_key": policy.key,  # as sched.create stores it
                "created_by": "bench",
                "created_at": now,
                "updated_at": now,
            }
        )
    async with bot.db() as session, session.begin():
        await session.execute(insert(Schedule), rows)
    await bot.stop(timeout=1)
    bot = make_bot(url, ORGBOT_SCHEDULER_POLL_SECONDS="2", ORGBOT_OUTBOX_LOCAL_PER_SECOND="5000")
    await bot.start()  # as `orgbot run` does: the scheduler runs in the background
    await asyncio.sleep(3 + spread + 4)
    async with bot.db() as session:
        sent = (
            await session.execute(select(OutboxRow.fire_at, OutboxRow.sent_at).where(OutboxRow.sent_at.is_not(None)))
        ).all()
    await bot.stop(timeout=1)
    return [(s - f).total_seconds() for f, s in sent]


async def throughput(url: str, pushes: int, per_second: float) -> float:
    bot = make_bot(url, ORGBOT_OUTBOX_LOCAL_PER_SECOND=str(per_second), ORGBOT_OUTBOX_BATCH_SIZE="500")
    await bot.start(background=False)
    now = bot.clock.now()
    items = [
        PushItem(
            f"bench:{per_second}:{i}", Target("local", user_id=f"bench{i % 50}"), "压测推送", now, f"bench{i % 50}"
        )
        for i in range(pushes)
    ]
    async with bot.db() as session, session.begin():
        await enqueue(session, items, now)
    service = bot.scheduling
    started = time.perf_counter()
    sent = await service.sender.drain(max_rounds=10_000)
    elapsed = time.perf_counter() - started
    await bot.stop(timeout=1)
    return sent / elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--schedules", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=200)
    parser.add_argument("--spread", type=float, default=5.0, help="seconds over which the due schedules fall")
    parser.add_argument("--pushes", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        computed = await store_schedules(url, args.schedules)
        print(
            f"next-fire computation: {args.schedules} schedules in {computed:.2f} s ({args.schedules / computed:,.0f}/s)"
        )
        ready, first_tick = await startup(url)
        print(
            f"start-up with {args.schedules:,} stored schedules: {ready * 1000:.0f} ms to ready, first tick {first_tick * 1000:.0f} ms"
        )
        late = await lateness(url, args.due, args.spread)
        if late:
            print(
                f"fire lateness over {len(late)} fires (poll 2 s + exact wake-up): "
                f"p50 {statistics.median(late) * 1000:.0f} ms, p99 {pct(late, 99) * 1000:.0f} ms, max {max(late) * 1000:.0f} ms"
            )
        else:
            print("fire lateness: nothing was sent (check the clock / quiet hours)")
        fast = await throughput(url, args.pushes, 1_000_000)
        print(f"outbox throughput, local channel, rate limit off: {fast:,.0f} pushes/s")
        limited = await throughput(url, min(args.pushes, 1000), 200)
        print(f"outbox throughput, local channel, default limit 200/s: {limited:,.0f} pushes/s")


if __name__ == "__main__":
    asyncio.run(main())
