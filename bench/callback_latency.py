"""Callback acknowledgement latency of a running `orgbot run`, under bounded loopback load.

Why: platforms retry a callback not acknowledged in time (WeCom 5 s, Feishu 3 s), and
the ack must not wait for the answer. This starts the fake platform APIs in-process
and a real `orgbot run` subprocess on a free loopback port, posts N genuine signed
(and for WeCom/Feishu encrypted) callbacks from distinct users with a fixed
concurrency, and reports the time to each HTTP 200 (p50/p99/max), then how many
answers reached the fake platform and how long the backlog took to drain.

    python bench/callback_latency.py                          # wecom, 2000 requests, concurrency 20
    python bench/callback_latency.py --platform all --requests 500
    ORGBOT_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/scratch python bench/callback_latency.py

A database URL is migrated and written to (6,000 processed-message rows per full run): give it a scratch one.

Loopback only; the requests are built (and encrypted) before the clock starts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp.test_utils import TestServer  # noqa: E402

from bench.support import dingtalk_peer, feishu_peer, wecom_peer  # noqa: E402
from bench.support.fake_platforms import FakePlatforms  # noqa: E402
from bench.support.running_server import Callback, Orgbot  # noqa: E402


def build_requests(platform: str, api: str, n: int) -> list[Callback]:
    now = int(time.time())
    out: list[Callback] = []
    for i in range(n):
        if platform == "wecom":
            params, body = wecom_peer.app_text_message("/帮助", str(900000 + i), f"user{i}", now, nonce=f"n{i}")
            out.append(Callback("/callback/wecom", params, {}, body))
        elif platform == "dingtalk":
            msg = dingtalk_peer.robot_message(api, "/帮助", f"bench{i}", staff_id=f"user{i}", group=False)
            msg["conversationId"] = f"cid{i}"
            out.append(Callback("/callback/dingtalk", {}, dingtalk_peer.signed_headers(), dingtalk_peer.body(msg)))
        else:
            event = feishu_peer.text_event(
                "/帮助", f"om_bench{i}", chat_type="p2p", sender_open_id=f"ou_{i}", sender_user_id=f"user{i}"
            )
            headers, body = feishu_peer.signed_request(event)
            out.append(Callback("/callback/feishu", {}, headers, body))
    return out


def answers(fake: FakePlatforms, platform: str) -> int:
    path = {"wecom": "message/send", "dingtalk": "/session/", "feishu": "/im/v1/messages"}[platform]
    return len(fake.sent(platform, path))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run_one(platform: str, requests: int, concurrency: int, db_url: str | None) -> None:
    fake = FakePlatforms()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    api = str(server.make_url("")).rstrip("/")
    env = {
        "ORGBOT_LOG_LEVEL": "WARNING",
        **{"wecom": wecom_peer.wecom_env, "dingtalk": dingtalk_peer.dingtalk_env, "feishu": feishu_peer.feishu_env}[
            platform
        ](api),
    }
    with tempfile.TemporaryDirectory() as tmp:
        env["ORGBOT_DATABASE_URL"] = db_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        env["ORGBOT_KNOWLEDGE_INDEX_DIR"] = f"{tmp}/index"
        bot = Orgbot(env)
        await bot.start()
        callbacks = build_requests(platform, api, requests)
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        queue: asyncio.Queue[Callback] = asyncio.Queue()
        for cb in callbacks:
            queue.put_nowait(cb)
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def worker() -> None:
                while not queue.empty():
                    cb = queue.get_nowait()
                    start = time.perf_counter()
                    async with session.post(bot.url + cb.path, params=cb.params, headers=cb.headers, data=cb.body) as r:
                        await r.read()
                    latencies.append((time.perf_counter() - start) * 1000)
                    statuses[r.status] = statuses.get(r.status, 0) + 1

            began = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            posted = time.perf_counter() - began
        with contextlib.suppress(TimeoutError):
            await fake.wait_for(lambda: answers(fake, platform) >= requests, timeout=180)
        drained = time.perf_counter() - began
        await bot.stop()
    await server.close()
    print(
        f"{platform:9s} requests={requests} concurrency={concurrency} "
        f"ack p50={statistics.median(latencies):.1f}ms p99={percentile(latencies, 0.99):.1f}ms "
        f"max={max(latencies):.1f}ms statuses={statuses} posting={posted:.1f}s "
        f"({requests / posted:.0f}/s) answered={answers(fake, platform)}/{requests} in {drained:.1f}s",
        flush=True,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--platform", choices=["wecom", "dingtalk", "feishu", "all"], default="wecom")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    platforms = ["wecom", "dingtalk", "feishu"] if args.platform == "all" else [args.platform]
    db_url = args.database_url or os.environ.get("ORGBOT_BENCH_DATABASE_URL")
    for platform in platforms:
        await run_one(platform, args.requests, args.concurrency, db_url)


if __name__ == "__main__":
    asyncio.run(main())
