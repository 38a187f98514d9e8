"""A burst of unique signed callbacks against a real `orgbot run`: acknowledged, answered once, memory flat.

Why: platforms do not retry an acknowledged callback, so the bot records each message
durably before its 200 and answers from the database. A burst must then wait on disk,
not in Python objects. This posts N genuine encrypted, signed Feishu callbacks (built
before the clock starts) with 64 connections for at most --seconds, then waits for the
backlog to drain at the fake Feishu API on loopback, and prints:

- the acknowledgement rate, beside a bare aiohttp handler taking the same requests in the same run;
- the drain rate (answers per second) and whether every message was answered exactly once,
  beside the ceiling the bot keeps to: Feishu's send quota per app (``[feishu]
  app_sends_per_second``, 50). Each of the 500 senders writes in their own 1:1 chat, so the
  per-person limit (5/s) does not bind; ``--app-rate 100000`` lifts the quota to measure
  the bot's own drain;
- the server's RSS at start, at its peak, and at the end (growth is what the burst cost).

    python bench/callback_burst.py                      # 20,000 callbacks, SQLite in a temp dir
    python bench/callback_burst.py --requests 5000
    python bench/callback_burst.py --app-rate 100000         # the bot's drain, without the platform quota
    ORGBOT_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/scratch python bench/callback_burst.py

A database URL given here is migrated and written to: give it a scratch one. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp.test_utils import TestServer  # noqa: E402

from bench.support import feishu_peer  # noqa: E402
from bench.support.fake_platforms import FakePlatforms  # noqa: E402
from bench.support.ports import free_port  # noqa: E402
from bench.support.running_server import Callback, Orgbot  # noqa: E402
from bot.channels.config import FeishuConfig  # noqa: E402

ANSWER_RE = re.compile(r"/无此命令(\d+)")
BARE_SERVER = """
import sys
from aiohttp import web
async def ok(request):
    await request.read()
    return web.json_response({"msg": "success"})
app = web.Application()
app.router.add_post("/callback/feishu", ok)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=lambda *_: print("已启动", flush=True))
"""


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def build(n: int) -> list[Callback]:
    out = []
    for i in range(n):
        # 500 people, each in their own 1:1 chat with the bot, as a department would write.
        event = feishu_peer.p2p_event(f"/无此命令{i}", f"om_burst{i}", f"user{i % 500}")
        headers, body = feishu_peer.signed_request(event)
        out.append(Callback("/callback/feishu", {}, headers, body))
    return out


async def fire(url: str, requests: list[Callback], seconds: float) -> tuple[int, Counter[int], float]:
    """Post as fast as 64 connections go, for at most ``seconds``; returns (sent, statuses, elapsed)."""
    statuses: Counter[int] = Counter()
    it = iter(requests)
    start = time.perf_counter()
    sent = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal sent
        for cb in it:
            if time.perf_counter() - start > seconds:
                return
            sent += 1
            try:
                async with session.post(url + cb.path, headers=cb.headers, data=cb.body) as resp:
                    await resp.read()
                    statuses[resp.status] += 1
            except aiohttp.ClientError:
                statuses[0] += 1

    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(64)))
    return sent, statuses, time.perf_counter() - start


async def bare_baseline(requests: list[Callback], seconds: float) -> float:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", BARE_SERVER, str(port), stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    await asyncio.wait_for(proc.stdout.readline(), 30)
    try:
        _, statuses, elapsed = await fire(f"http://127.0.0.1:{port}", requests, seconds)
    finally:
        proc.terminate()
        await proc.wait()
    return statuses[200] / elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=30.0, help="stop sending after this long")
    parser.add_argument("--drain-timeout", type=float, default=900.0)
    parser.add_argument(
        "--app-rate", type=int, default=None, help="[feishu] app_sends_per_second for the server (default: its own)"
    )
    args = parser.parse_args()

    fake = FakePlatforms()
    fake_server = TestServer(fake.app(), host="127.0.0.1")
    await fake_server.start_server()
    fake.url = str(fake_server.make_url("")).rstrip("/")  # type: ignore[attr-defined]
    print(f"building {args.requests} encrypted, signed callbacks …", flush=True)
    requests = build(args.requests)

    with tempfile.TemporaryDirectory() as tmp:
        db_url = os.environ.get("ORGBOT_BENCH_DATABASE_URL") or f"sqlite+aiosqlite:///{tmp}/bench.db"
        env = {
            "ORGBOT_DATABASE_URL": db_url,
            "ORGBOT_KNOWLEDGE_INDEX_DIR": f"{tmp}/index",
            "ORGBOT_LOG_LEVEL": "WARNING",
            "ORGBOT_SCHEDULER_ENABLED": "false",
            "ORGBOT_BOT_MESSAGES_PER_MINUTE": "0",
            **feishu_peer.feishu_env(fake.url),
            **({"ORGBOT_FEISHU_APP_SENDS_PER_SECOND": str(args.app_rate)} if args.app_rate else {}),
        }
        server = Orgbot(env)
        await server.start()
        assert server.proc is not None
        pid = server.proc.pid
        rss_start = rss_mib(pid)
        peak = rss_start
        stop_sampling = asyncio.Event()

        async def sample() -> None:
            nonlocal peak
            while not stop_sampling.is_set():
                peak = max(peak, rss_mib(pid))
                await asyncio.sleep(0.25)

        sampler = asyncio.create_task(sample())
        sent, statuses, elapsed = await fire(server.url, requests, args.seconds)
        acked = statuses[200]
        fired_at = time.perf_counter()

        def answered() -> list[int]:
            out = []
            for call in fake.sent("feishu", "/im/v1/messages"):
                found = ANSWER_RE.search(str(call.body.get("content", "")) if isinstance(call.body, dict) else "")
                if found:
                    out.append(int(found.group(1)))
            return out

        at_burst_end = len(set(answered()))
        # Polled, not re-counted on every delivery: counting all answers per delivery made this
        # process spend O(n) per answer and compete with the server for the two cores.
        while len(set(answered())) < acked:
            if time.perf_counter() - fired_at > args.drain_timeout:
                print("drain did not finish within the timeout", flush=True)
                break
            await asyncio.sleep(0.2)
        drained = time.perf_counter() - fired_at
        stop_sampling.set()
        await sampler
        rss_end = rss_mib(pid)
        await server.stop()
        got = Counter(answered())
        twice = sum(1 for c in got.values() if c > 1)

    bare = await bare_baseline(requests, min(args.seconds, 10.0))
    await fake_server.close()
    print()
    print(f"database                 {'PostgreSQL' if 'postgresql' in db_url else 'SQLite'}")
    print(f"callbacks sent           {sent} in {elapsed:.1f} s; statuses {dict(statuses)}")
    print(f"acknowledged per second  {acked / elapsed:8.0f}   (bare aiohttp handler, same requests: {bare:.0f}/s)")
    print(f"answered                 {len(got)} of {acked} acknowledged; answered twice: {twice}")
    quota = args.app_rate or FeishuConfig().app_sends_per_second
    print(
        f"drain after the burst    {drained:.1f} s for {len(got) - at_burst_end} left:"
        f" {(len(got) - at_burst_end) / max(drained, 1e-9):.0f} answers/s"
        f"   ({len(got) / max(drained + elapsed, 1e-9):.0f}/s overall; Feishu app quota kept to: {quota}/s)"
    )
    print(
        f"server RSS MiB           start {rss_start:.0f}, peak {peak:.0f} (+{peak - rss_start:.0f}), end {rss_end:.0f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
