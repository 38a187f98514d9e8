"""HEAVY (a few minutes): two real ``orgbot run`` instances on PostgreSQL behind Debian's nginx.

The shipped nginx config balances round robin in front of both. Through it, 2,000 signed
Feishu callbacks are each delivered twice while one instance is killed (SIGKILL) halfway:
every message is answered, once as the person sees it (one reply per message, by
Feishu's idempotency uuid); only a reply caught in flight by the kill may be sent a second
time with the same uuid, as README's delivery guarantee says. A notice due at start
fires once; a knowledge import made on one instance's host is answered by the other
within the knowledge refresh time; /metrics shows the traffic.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from bench.support import feishu_peer
from bench.support.fake_platforms import FakePlatforms
from bot.config import load_config
from bot.kb_service import REFRESH_SECONDS
from bot.storage.db import create_engine
from bot.storage.models import InboundMessage
from tests.ops.nginx import NGINX, Nginx, site_config
from tests.scheduling.service_process import copies_per_person, counts, seed_notice
from tests.scheduling.service_process import wait_for as wait_until
from tests.test_cli import free_port

MESSAGES = 2000
CONCURRENCY = 24
NOTICE_PEOPLE = 20
WORKERS = 8


class SharedTokenPlatforms(FakePlatforms):
    """Like Feishu: while a tenant_access_token is valid, fetching one returns it again, so instances share it."""

    def _issue(self, platform: str) -> str:
        if self.tokens_issued.get(platform):
            return self._current(platform)
        return super()._issue(platform)


@pytest.fixture
async def platforms() -> AsyncIterator[SharedTokenPlatforms]:
    fake = SharedTokenPlatforms()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    fake.url = str(server.make_url("")).rstrip("/")  # type: ignore[attr-defined]
    yield fake
    await server.close()


class Instance:
    def __init__(self, name: str, env: dict[str, str]) -> None:
        self.name = name
        self.port = free_port()
        self.env = env
        self.proc: asyncio.subprocess.Process | None = None
        self.log: Path | None = None

    async def start(self, workdir: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ORGBOT_")}
        env.update(self.env)
        self.log = workdir / f"{self.name}.log"
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            "--port",
            str(self.port),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=self.log.open("wb"),
        )
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 120)
        assert "已启动" in line.decode(), self.log.read_text()[-3000:]

    async def chat(self, text: str) -> str:
        async with (
            aiohttp.ClientSession() as s,
            s.post(
                f"http://127.0.0.1:{self.port}/api/v1/chat",
                json={"user_id": "asker", "text": text},
                headers={"Authorization": "Bearer two-instances"},
            ) as resp,
        ):
            assert resp.status == 200, await resp.text()
            body = await resp.json()
            return str(body)

    async def metrics(self) -> str:
        async with aiohttp.ClientSession() as s, s.get(f"http://127.0.0.1:{self.port}/metrics") as resp:
            assert resp.status == 200
            return await resp.text()

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), 60)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


def _metric(text: str, name: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def _inbox_rows(db_url: str) -> dict[str, int]:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(InboundMessage.state, func.count())
                .where(InboundMessage.channel == "feishu")
                .group_by(InboundMessage.state)
            )
            return {state: int(n) for state, n in rows}
    finally:
        await engine.dispose()


def _replies(f: FakePlatforms) -> dict[str, list[str]]:
    """The uuid of each physical Feishu send, per person: each message has its own sender, so per message."""
    out: dict[str, list[str]] = defaultdict(list)
    for call in f.sent("feishu", "/im/v1/messages"):
        if isinstance(call.body, dict) and str(call.body.get("receive_id", "")).startswith("ou_m"):
            out[call.body["receive_id"]].append(str(call.body.get("uuid")))
    return out


async def test_heavy_two_instances_behind_nginx(db_url, tmp_path, platforms):
    if not db_url.startswith("postgresql"):
        pytest.skip("several instances need PostgreSQL (set ORGBOT_TEST_DATABASE_URL); SQLite serves one instance")
    if NGINX is None:
        pytest.skip("nginx is not installed (.ci/run installs Debian's nginx-light)")
    common = {
        **feishu_peer.feishu_env(platforms.url),
        "ORGBOT_DATABASE_URL": db_url,
        "ORGBOT_DATABASE_AUTO_MIGRATE": "false",
        "ORGBOT_API_TOKEN": "two-instances",
        "ORGBOT_BOT_MESSAGES_PER_MINUTE": "0",
        "ORGBOT_BOT_HANDLER_TIMEOUT": "10",
        "ORGBOT_BOT_ANSWER_WORKERS": str(WORKERS),
        "ORGBOT_SCHEDULER_POLL_SECONDS": "0.5",
        "ORGBOT_OUTBOX_LOCAL_PER_SECOND": "250",
        "ORGBOT_LOG_LEVEL": "WARNING",
    }
    # A notice due now, for people with no IM account (pushes land in the local inbox).
    await seed_notice(load_config(None, environ=common), NOTICE_PEOPLE)
    a = Instance("a", {**common, "ORGBOT_KNOWLEDGE_INDEX_DIR": str(tmp_path / "index-a")})
    b = Instance("b", {**common, "ORGBOT_KNOWLEDGE_INDEX_DIR": str(tmp_path / "index-b")})
    await asyncio.gather(a.start(tmp_path), b.start(tmp_path))
    http_port, https_port = free_port(), free_port()
    (tmp_path / "nginx").mkdir()
    nginx = Nginx(site_config(tmp_path / "nginx", http_port, https_port, [a.port, b.port]))
    await asyncio.to_thread(nginx.start, https_port)
    try:
        # Schedules fire once, whichever instance leads.
        await wait_until(lambda: counts(db_url), "the notice to be fired", timeout=120)
        await wait_until(lambda: _all_pushed(db_url), "every notice copy to be delivered", timeout=120)
        leaders = [_metric(await i.metrics(), "orgbot_scheduler_leader") for i in (a, b)]
        assert sorted(leaders) == [0.0, 1.0], leaders

        await _knowledge_import_reaches_the_other_instance(a, b, tmp_path)

        await _callbacks_through_nginx_with_a_kill(a, https_port)

        # Every message answered; the killed instance's leases run out and b resumes them.
        await wait_until(lambda: len(_replies(platforms)) >= MESSAGES, "every message answered", timeout=300)
        await asyncio.sleep(2)  # a resend still on its way would show up now
        replies = _replies(platforms)
        assert set(replies) == {f"ou_m{i:05d}" for i in range(MESSAGES)}
        parts = {len(set(u)) for u in replies.values()}
        assert len(parts) == 1, "every message got the same answer once, as the person sees it (one uuid per part)"
        extra = sum(len(u) for u in replies.values()) - MESSAGES * parts.pop()
        assert extra <= WORKERS * 4, f"{extra} resends: only replies in flight at the kill may be sent again"
        await wait_until(lambda: _settled(db_url), "the inbox to have no open rows", timeout=120)
        rows = await _inbox_rows(db_url)
        assert sum(rows.values()) == MESSAGES and rows.get("answered") == MESSAGES, rows
        assert set((await copies_per_person(db_url)).values()) == {1}

        text = await b.metrics()
        assert _metric(text, "orgbot_messages_received_total") > 0
        assert _metric(text, "orgbot_answer_latency_seconds_count") > 0
        assert _metric(text, "orgbot_unanswered_backlog") == 0
    finally:
        await asyncio.to_thread(nginx.stop)
        await asyncio.gather(a.stop(), b.stop())


async def _all_pushed(db_url: str) -> bool:
    inbox, waiting = await counts(db_url)
    return inbox >= NOTICE_PEOPLE and waiting == 0


async def _settled(db_url: str) -> bool:
    rows = await _inbox_rows(db_url)
    return rows.get("received", 0) == 0 and rows.get("answering", 0) == 0


async def _knowledge_import_reaches_the_other_instance(a: Instance, b: Instance, tmp_path: Path) -> None:
    question = "防汛值班暗号是什么"
    assert "松柏九号" not in await b.chat(question)  # b has its index loaded before the import
    doc = tmp_path / "关于防汛值班暗号的通知.md"
    doc.write_text(
        "# 关于防汛值班暗号的通知\n\n第一条 防汛值班暗号为“松柏九号”，仅限值班人员使用。\n", encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORGBOT_")}
    env.update(a.env)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "kb",
        "import",
        str(doc),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + REFRESH_SECONDS + 15  # the documented refresh time, and room for the request
    while "松柏九号" not in await b.chat(question):
        assert loop.time() < deadline, "the other instance did not see the import within the refresh time"
        await asyncio.sleep(1)


async def _callbacks_through_nginx_with_a_kill(victim: Instance, https_port: int) -> None:
    deliveries = [(i, copy) for i in range(MESSAGES) for copy in (0, 1)]
    random.Random(15).shuffle(deliveries)
    kill_at = len(deliveries) // 2
    done = 0
    killed = asyncio.Event()
    sem = asyncio.Semaphore(CONCURRENCY)
    url = f"https://127.0.0.1:{https_port}/callback/feishu"
    failures: list[int] = []

    async def deliver(session: aiohttp.ClientSession, i: int) -> None:
        nonlocal done
        event = feishu_peer.text_event(
            "/帮助",
            f"om_{i:05d}",
            chat_type="p2p",
            sender_open_id=f"ou_m{i:05d}",
            sender_user_id=f"m{i:05d}",
            event_id=f"ev_{i:05d}",
        )
        async with sem:
            # A platform retries what was not acknowledged with 200 (Feishu: after 15 s, 5 min, ...);
            # here sooner, backing off to 4 s, about 20 s in all on a loaded machine.
            for attempt in range(8):
                headers, body = feishu_peer.signed_request(event)
                try:
                    async with session.post(url, data=body, headers=headers, ssl=False) as resp:
                        await resp.read()
                        if resp.status == 200:
                            break
                        failures.append(resp.status)
                except aiohttp.ClientError:
                    failures.append(-1)
                await asyncio.sleep(min(4.0, 0.5 * 2**attempt))
            else:
                raise AssertionError(f"message {i} never acknowledged: {failures[-8:]}")
        done += 1
        if done == kill_at and not killed.is_set():
            killed.set()
            victim.kill()

    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
        await asyncio.gather(*(deliver(session, i) for i, _ in deliveries))
    assert killed.is_set()
    assert len(failures) < 50, f"nginx should send a failed callback to the other instance: {failures[:20]}"
