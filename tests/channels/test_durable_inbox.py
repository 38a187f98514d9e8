"""The durable inbox: an acknowledged message is answered, once — across SIGTERM, kill -9 and outages.

The end-to-end tests post genuine signed Feishu callbacks to a real ``orgbot run``
subprocess and count the answers at a fake Feishu API on loopback. Each message is an
unknown command ``/无此命令N``, whose answer names N, so every answer maps to its message.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from bench.support import feishu_peer
from bench.support.fake_platforms import FakePlatforms
from bench.support.running_server import Orgbot
from bot.app import OrgBot
from bot.clock import ManualClock
from bot.inbox import Claimed, State
from bot.messages import ChatType, Incoming, Outgoing
from bot.storage.db import create_engine
from bot.storage.models import InboundMessage
from tests.channels.conftest import settle

ANSWER_RE = re.compile(r"/无此命令(\d+)")


class Capture:
    """A platform channel that records what it is asked to deliver (optionally slowly)."""

    name = "wecom"

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.sent: list[Outgoing] = []

    def routes(self) -> list[Any]:
        return []

    async def start(self, bot: OrgBot) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, message: Outgoing) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)
        self.sent.append(message)


def wecom_message(n: int, sender: str = "u1", chat: str | None = None, *, group: bool = False) -> Incoming:
    return Incoming(
        channel="wecom",
        chat_id=chat or sender,
        chat_type=ChatType.GROUP if group else ChatType.PRIVATE,
        sender_id=sender,
        text=f"/无此命令{n}",
        message_id=f"m{n}",
        mentioned_bot=not group,
    )


def answered_numbers(capture: Capture) -> list[int]:
    out = []
    for m in capture.sent:
        found = ANSWER_RE.search(m.reply.text)
        assert found, m.reply.text
        out.append(int(found.group(1)))
    return out


async def test_a_platform_retry_is_recorded_once_and_answered_once(make_bot):
    capture = Capture()
    bot = await make_bot(channels=[capture])
    assert await bot.accept(wecom_message(1)) is True
    assert await bot.accept(wecom_message(1)) is False
    await settle(bot)
    assert await bot.accept(wecom_message(1)) is False
    await settle(bot)
    assert answered_numbers(capture) == [1]


async def test_a_group_message_without_mention_is_deduped_but_not_answered(make_bot):
    capture = Capture()
    bot = await make_bot(channels=[capture])
    assert await bot.accept(wecom_message(1, group=True, chat="g")) is True
    assert await bot.accept(wecom_message(1, group=True, chat="g")) is False
    await settle(bot)
    assert capture.sent == []


async def test_messages_recorded_by_a_stopped_instance_are_answered_at_the_next_start(make_bot, db_url, config_for):
    first = OrgBot(config_for(db_url))
    await first.start(background=False, answering=False)
    for n in range(5):
        assert await first.accept(wecom_message(n, sender=f"u{n}"))
    await first.stop(timeout=0)
    capture = Capture()
    second = await make_bot(channels=[capture])
    await settle(second)
    assert sorted(answered_numbers(capture)) == list(range(5))


async def test_a_row_held_by_a_dead_instance_is_answered_when_its_lease_ends(make_bot, db_url, config_for):
    """Another instance may still hold a row left 'answering': it is taken again exactly when its lease ends."""
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    first = OrgBot(config_for(db_url, ORGBOT_BOT_ANSWER_LEASE_SECONDS="10"), clock=ManualClock(t0))
    await first.start(background=False, answering=False)
    assert await first.accept(wecom_message(7))
    assert await first.inbox.claim(t0) is not None  # the instance dies right after claiming
    await first.stop(timeout=0)

    clock = ManualClock(t0 + timedelta(seconds=9.9))
    capture = Capture()
    second = await make_bot(clock=clock, channels=[capture], ORGBOT_BOT_ANSWER_LEASE_SECONDS="10")
    second.answer_workers.wake()
    await asyncio.sleep(0.3)  # the workers look, and may not take it yet
    assert capture.sent == [] and await second.inbox.counts() == {"answering": 1}
    clock.advance(timedelta(seconds=0.1))
    await settle(second)
    assert answered_numbers(capture) == [7]


async def test_on_sqlite_a_restart_takes_at_once_what_a_killed_instance_was_answering(db_url, config_for):
    """One instance serves a SQLite file, so at start every 'answering' row is an orphan: no lease to wait for."""
    if not db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL instances share the database: its rows wait for their lease (test above)")
    first = OrgBot(config_for(db_url))
    await first.start(background=False, answering=False)
    for n in range(3):
        assert await first.accept(wecom_message(n, sender="same"))
    assert await first.inbox.claim(first.clock.now()) is not None  # killed with -9 while answering
    await first.stop(timeout=0)

    capture = Capture()
    second = OrgBot(config_for(db_url, ORGBOT_SCHEDULER_ENABLED="false"))
    second.add_channel(capture)
    await second.start(background=True)  # `orgbot run`: takes the file's instance lock
    try:
        await settle(second, timeout=20)  # far below the 30 s lease
        assert answered_numbers(capture) == [0, 1, 2]
    finally:
        await second.stop(timeout=2)


async def test_a_claim_that_lost_its_row_writes_nothing(make_bot):
    """A worker that stalled past its lease finds its row claimed again: its late writes change nothing."""
    bot = await make_bot(answering=False, ORGBOT_BOT_ANSWER_LEASE_SECONDS="10")
    assert await bot.accept(wecom_message(1))
    t0 = bot.clock.now()
    stalled = await bot.inbox.claim(t0)
    assert stalled is not None
    assert await bot.inbox.claim(t0 + timedelta(seconds=9)) is None
    current = await bot.inbox.claim(t0 + timedelta(seconds=10))
    assert current is not None and current.id == stalled.id and current.attempts == stalled.attempts + 1
    later = t0 + timedelta(seconds=11)
    assert not await bot.inbox.renew(stalled, later)
    assert not await bot.inbox.mark_sent(stalled, 1, later, done=True, replies=[])
    assert not await bot.inbox.retry_later(stalled, later, "shutdown")
    assert not await bot.inbox.finish(stalled, State.FAILED, later, "x")
    assert await bot.inbox.counts() == {"answering": 1}
    assert await bot.inbox.renew(current, later)
    assert await bot.inbox.mark_sent(current, 0, later, done=True, replies=[])
    assert await bot.inbox.counts() == {}


class StolenDuringSend(Capture):
    """While the first reply is on its way, the worker's row is claimed again (its lease ran out)."""

    def __init__(self, bot: OrgBot) -> None:
        super().__init__()
        self.bot = bot
        self.thief: Claimed | None = None

    async def send(self, message: Outgoing) -> None:
        later = self.bot.clock.now() + self.bot.inbox.lease
        self.thief = await self.bot.inbox.claim(later)
        await super().send(message)


async def test_a_worker_whose_row_was_claimed_again_stops_and_leaves_it_to_that_claim(make_bot):
    bot = await make_bot(answering=False)
    channel = StolenDuringSend(bot)
    bot.add_channel(channel)
    bot.answer_workers.start()
    bot.answering = True
    assert await bot.accept(wecom_message(5))
    for _ in range(200):
        if channel.thief is not None and not bot.answer_workers.in_flight():
            break
        await asyncio.sleep(0.02)
    assert channel.thief is not None, "the worker never sent"
    assert answered_numbers(channel) == [5]  # the send in progress went out ...
    async with bot.db() as session:
        row = (await session.execute(select(InboundMessage))).scalar_one()
    # ... but the worker recorded nothing: the row is the new claim's, which will send it (once more).
    assert (row.state, row.attempts, row.replies_sent) == ("answering", channel.thief.attempts, 0)


async def test_a_claim_cut_off_by_the_shutdown_deadline_gives_its_row_back(make_bot):
    """SIGTERM's deadline cancels a worker whose claim committed but has not returned (a slow
    round trip): the row is given back, not left held under a lease nobody works on."""
    bot = await make_bot(answering=False)
    real_claim = bot.inbox.claim
    committed = asyncio.Event()

    async def slow_return(*args: Any, **kwargs: Any) -> Claimed | None:
        taken = await real_claim(*args, **kwargs)
        if taken is not None:
            committed.set()
            await asyncio.sleep(2)  # the answer is on its way back
        return taken

    bot.inbox.claim = slow_return  # type: ignore[method-assign]
    bot.answer_workers.start()
    bot.answering = True
    assert await bot.accept(wecom_message(3))
    await asyncio.wait_for(committed.wait(), 10)
    assert await bot.inbox.counts() == {"answering": 1}
    await bot.answer_workers.stop(timeout=0)
    bot.answering = False
    assert await bot.inbox.counts() == {"received": 1}


async def test_a_lease_is_renewed_while_its_row_is_answered(make_bot):
    """A reply slower than the lease: the lease is renewed, so no other claim takes the row meanwhile."""
    capture = Capture(delay=7.0)
    bot = await make_bot(channels=[capture], ORGBOT_BOT_ANSWER_LEASE_SECONDS="5")
    assert await bot.accept(wecom_message(9))
    await asyncio.sleep(6.0)  # past the first lease
    assert bot.answer_workers.in_flight() == 1
    assert await bot.inbox.claim(bot.clock.now()) is None
    await settle(bot)
    assert answered_numbers(capture) == [9]


async def test_messages_too_old_to_answer_are_reported_to_admins(make_bot, db_url, config_for):
    from tests.conftest import add_staff

    first = OrgBot(config_for(db_url))
    await first.start(background=False, answering=False)
    await add_staff(first, "admin1", "管理员", role="admin")
    assert await first.accept(wecom_message(3, sender="asker"))
    a_day_earlier = (
        "received_at - interval '1 day'"
        if first.engine.dialect.name == "postgresql"
        else "datetime(received_at, '-1 day')"
    )
    async with first.db() as session, session.begin():
        await session.execute(text(f"UPDATE inbound_messages SET received_at = {a_day_earlier}"))
    await first.stop(timeout=0)
    capture = Capture()
    second = await make_bot(channels=[capture])
    await settle(second)
    assert capture.sent == []
    async with second.db() as session:
        state = await session.scalar(select(InboundMessage.state))
        queued = (await session.execute(text("SELECT text FROM outbox"))).scalars().all()
    assert state == "expired"
    assert any("消息未答复" in t and "/无此命令3" in t for t in queued)


_SHARED: dict[int, tuple[OrgBot, Capture]] = {}


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(senders=st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=30))
async def test_every_message_answered_once_and_in_order_per_person(make_bot, senders):
    """Whatever the mix of senders, each message is answered exactly once, each person's in order."""
    # Hypothesis runs every example with the same fixtures: one bot serves them all.
    if id(make_bot) not in _SHARED:
        capture = Capture(delay=0.002)
        _SHARED.clear()
        bot = await make_bot(channels=[capture], ORGBOT_BOT_MESSAGES_PER_MINUTE="0")
        _SHARED[id(make_bot)] = (bot, capture)
    bot, capture = _SHARED[id(make_bot)]
    base = len(capture.sent)
    ids = []
    for n, who in enumerate(senders):
        message = wecom_message(n, sender=f"p{who}")
        message = Incoming(**{**message.__dict__, "message_id": f"{id(senders)}-{n}"})
        assert await bot.accept(message)
        ids.append((n, who))
    await settle(bot)
    got = answered_numbers(capture)[base:]
    assert Counter(got) == Counter(n for n, _ in ids)
    for person in set(senders):
        mine = [n for n in got if senders[n] == person]
        assert mine == sorted(mine)


_SHARED_DYING: dict[int, tuple[OrgBot, Capture, ManualClock]] = {}


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    senders=st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=20),
    dying=st.integers(min_value=0, max_value=6),
)
async def test_claims_that_die_leave_every_message_answered_once_and_in_order(make_bot, senders, dying):
    """Some claims die with their worker (kill -9 of another instance): once their lease ends
    the rows are claimed again, and still each message is answered once, each person's in order."""
    if id(make_bot) not in _SHARED_DYING:
        capture = Capture()
        clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
        _SHARED_DYING.clear()
        bot = await make_bot(
            clock=clock,
            channels=[capture],
            answering=False,
            ORGBOT_BOT_MESSAGES_PER_MINUTE="0",
            ORGBOT_BOT_ANSWER_LEASE_SECONDS="10",
        )
        _SHARED_DYING[id(make_bot)] = (bot, capture, clock)
    bot, capture, clock = _SHARED_DYING[id(make_bot)]
    base = len(capture.sent)
    for n, who in enumerate(senders):
        message = wecom_message(n, sender=f"p{who}")
        assert await bot.accept(Incoming(**{**message.__dict__, "message_id": f"d{id(senders)}-{n}"}))
    dead = [await bot.inbox.claim(clock.now()) for _ in range(dying)]  # claimed, then the worker died
    bot.answer_workers.start()
    bot.answering = True
    try:
        if any(dead):
            # Mid-lease, everybody else is answered; a conversation with a dead claim waits whole.
            clock.advance(timedelta(seconds=5))
            waiting = {c.message.sender_id for c in dead if c is not None}
            blocked = sum(1 for who in senders if f"p{who}" in waiting)
            for _ in range(500):
                if sum((await bot.inbox.counts()).values()) == blocked and not bot.answer_workers.in_flight():
                    break
                bot.answer_workers.wake()
                await asyncio.sleep(0.02)
            early = {m.in_reply_to.sender_id for m in capture.sent[base:] if m.in_reply_to is not None}
            assert len(capture.sent) - base == len(senders) - blocked and not early & waiting
            clock.advance(timedelta(seconds=5))
        await settle(bot)
    finally:
        await bot.answer_workers.stop(0)
        bot.answering = False
    got = answered_numbers(capture)[base:]
    assert Counter(got) == Counter(range(len(senders)))
    for person in set(senders):
        mine = [n for n in got if senders[n] == person]
        assert mine == sorted(mine)


async def test_one_person_flooding_over_im_is_told_once_to_slow_down(make_bot):
    capture = Capture()
    bot = await make_bot(channels=[capture], ORGBOT_BOT_MESSAGES_PER_MINUTE="5")
    for n in range(9):
        assert await bot.accept(wecom_message(n, sender="flood"))
    assert await bot.accept(wecom_message(100, sender="calm"))
    await settle(bot)
    texts = [m.reply.text for m in capture.sent]
    assert sum("太频繁" in t for t in texts) == 1
    assert sorted(answered_numbers_of(t for t in texts if "太频繁" not in t)) == [0, 1, 2, 3, 4, 100]


def answered_numbers_of(texts: Any) -> list[int]:
    return [int(m.group(1)) for t in texts if (m := ANSWER_RE.search(t))]


async def test_database_unavailable_gives_5xx_and_the_platforms_retry_is_answered(serve_channel, fake):
    from bot.channels import feishu

    bot, _, client = await serve_channel(feishu, **feishu_peer.feishu_env(fake.url))
    event = feishu_peer.text_event("/无此命令42", "om_outage", chat_type="p2p")
    async with bot.db() as session, session.begin():
        await session.execute(text("ALTER TABLE inbound_messages RENAME TO inbound_messages_away"))
    headers, body = feishu_peer.signed_request(event)
    resp = await client.post("/callback/feishu", data=body, headers=headers)
    assert resp.status == 503
    async with bot.db() as session, session.begin():
        await session.execute(text("ALTER TABLE inbound_messages_away RENAME TO inbound_messages"))
    headers, body = feishu_peer.signed_request(event)  # the platform retries
    resp = await client.post("/callback/feishu", data=body, headers=headers)
    assert resp.status == 200
    await settle(bot)
    answers = [
        c for c in fake.sent("feishu", "/im/v1/messages") if "无此命令42" in json.dumps(c.body, ensure_ascii=False)
    ]
    assert len(answers) == 1


async def test_a_real_postgresql_outage_gives_5xx_and_nothing_acknowledged_is_lost(serve_channel, fake, db_url):
    """The server refuses connections for a while: callbacks get 503, and afterwards both the
    message acknowledged before the outage and the platform's retry of the refused one are answered."""
    from sqlalchemy.engine import make_url

    from tests.conftest import _pg_admin

    if not db_url.startswith("postgresql"):
        return  # SQLite has no server to lose; the renamed-table test covers it
    from bot.channels import feishu

    bot, _, client = await serve_channel(feishu, **feishu_peer.feishu_env(fake.url))
    name = make_url(db_url).database
    await bot.answer_workers.stop(timeout=0)  # hold the first message unanswered across the outage
    bot.answering = False
    before = feishu_peer.text_event("/无此命令1", "om_before", chat_type="p2p")
    headers, body = feishu_peer.signed_request(before)
    assert (await client.post("/callback/feishu", data=body, headers=headers)).status == 200
    await _pg_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    await _pg_admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
    try:
        during = feishu_peer.text_event("/无此命令2", "om_during", chat_type="p2p")
        headers, body = feishu_peer.signed_request(during)
        assert (await client.post("/callback/feishu", data=body, headers=headers)).status == 503
        assert (await client.get("/readyz")).status == 503
    finally:
        await _pg_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    headers, body = feishu_peer.signed_request(during)  # the platform retries
    assert (await client.post("/callback/feishu", data=body, headers=headers)).status == 200
    bot.answer_workers.start()
    bot.answering = True
    await settle(bot)
    sent = json.dumps([c.body for c in fake.sent("feishu", "/im/v1/messages")], ensure_ascii=False)
    assert sent.count("/无此命令1") == 1 and sent.count("/无此命令2") == 1


async def test_readyz_says_503_on_a_read_only_sqlite_file(tmp_path: Path, config_for):
    from aiohttp.test_utils import TestClient, TestServer

    path = tmp_path / "ro.db"
    writable = OrgBot(config_for(f"sqlite+aiosqlite:///{path}"))
    await writable.start(background=False)
    await writable.stop(timeout=0)
    bot = OrgBot(config_for(f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true"))
    await bot.start(background=False)
    client = TestClient(TestServer(bot.web_app(), host="127.0.0.1"))
    await client.start_server()
    try:
        resp = await client.get("/readyz")
        assert resp.status == 503
        assert "not writable" in (await resp.json())["detail"]
    finally:
        await client.close()
        await bot.stop(timeout=0)


async def test_readyz_is_ok_and_names_the_scheduler_role(make_bot):
    from aiohttp.test_utils import TestClient, TestServer

    bot = await make_bot()
    client = TestClient(TestServer(bot.web_app(), host="127.0.0.1"))
    await client.start_server()
    try:
        resp = await client.get("/readyz")
        assert resp.status == 200
        assert "scheduler" in (await resp.json())["detail"]
    finally:
        await client.close()


# --- a real `orgbot run`, SIGTERM and kill -9 with a backlog -------------------------------------

# Enough that SIGTERM and kill -9 land with most of the backlog waiting (the tests assert it); the
# drain itself is measured by bench/callback_burst.py, not here.
N = 400


def feishu_answers(fake: FakePlatforms) -> list[tuple[int, str]]:
    """(N of the message, the reply's uuid) for each delivery the fake Feishu API received."""
    out = []
    for call in fake.sent("feishu", "/im/v1/messages"):
        body = call.body if isinstance(call.body, dict) else {}
        found = ANSWER_RE.search(str(body.get("content", "")))
        if found:
            out.append((int(found.group(1)), str(body.get("uuid", ""))))
    return out


async def post_backlog(server: Orgbot, count: int) -> None:
    """Post ``count`` genuine callbacks (64 at a time); every one must be acknowledged with 200."""
    statuses: Counter[int] = Counter()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(count):
        queue.put_nowait(n)

    async def sender(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            n = queue.get_nowait()
            # 50 people, each in their own 1:1 chat: one shared chat would cap the drain at
            # Feishu's 5 messages/s per recipient, and the tests would measure that limit.
            event = feishu_peer.p2p_event(f"/无此命令{n}", f"om_{n}", f"user{n % 50}")
            headers, body = feishu_peer.signed_request(event)
            async with session.post(server.url + "/callback/feishu", data=body, headers=headers) as resp:
                statuses[resp.status] += 1

    async with aiohttp.ClientSession() as session:
        await asyncio.wait_for(asyncio.gather(*(sender(session) for _ in range(64))), 300)
    assert statuses == Counter({200: count})


def server_env(fake: FakePlatforms, db_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "ORGBOT_DATABASE_URL": db_url,
        "ORGBOT_KNOWLEDGE_INDEX_DIR": str(tmp_path / "index"),
        "ORGBOT_LOG_LEVEL": "INFO",
        "ORGBOT_SCHEDULER_ENABLED": "false",
        **feishu_peer.feishu_env(fake.url),
        **extra,
    }


async def inbox_states(db_url: str) -> dict[str, int]:
    """How many rows of the durable inbox are in each open state (received, answering)."""
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT state, count(*) FROM inbound_messages"
                    " WHERE state IN ('received', 'answering') GROUP BY state"
                )
            )
            return {state: int(n) for state, n in rows}
    finally:
        await engine.dispose()


async def wait_answered(fake: FakePlatforms, predicate: Callable[[set[int]], bool], timeout: float) -> None:
    await fake.wait_for(lambda: predicate({n for n, _ in feishu_answers(fake)}), timeout=timeout)


async def test_sigterm_with_a_backlog_then_restart_answers_every_message_once(
    fake: FakePlatforms, db_url: str, tmp_path: Path
):
    env = server_env(fake, db_url, tmp_path, ORGBOT_SERVER_SHUTDOWN_TIMEOUT="1")
    server = Orgbot(env)
    await server.start()
    await post_backlog(server, N)
    log = await server.stop()  # SIGTERM with most of the backlog still waiting
    before = {n for n, _ in feishu_answers(fake)}
    assert len(before) < N, "the backlog drained before SIGTERM: the test proves nothing"
    assert "not answered yet" in log and "stay recorded for the next start" in log
    # Nothing is left held under a lease: what was not answered was given back, for the next start at once.
    assert await inbox_states(db_url) == {"received": N - len(before)}

    server = Orgbot(env)
    await server.start()
    try:
        await wait_answered(fake, lambda got: len(got) == N, timeout=300)
    finally:
        await server.stop()
    answers = feishu_answers(fake)
    assert Counter(n for n, _ in answers) == Counter(range(N)), "every message answered exactly once"


async def test_kill_9_in_a_backlog_then_restart_answers_every_message_once(
    fake: FakePlatforms, db_url: str, tmp_path: Path
):
    # The rows the killed process held are taken at once on SQLite (the restart is the only
    # instance), on PostgreSQL when their lease ends (another instance could hold them).
    env = server_env(fake, db_url, tmp_path, ORGBOT_BOT_ANSWER_LEASE_SECONDS="10")
    server = Orgbot(env)
    await server.start()
    await post_backlog(server, N)
    await wait_answered(fake, lambda got: len(got) >= 50, timeout=120)
    assert server.proc is not None
    os.kill(server.proc.pid, signal.SIGKILL)
    await server.proc.wait()
    assert len({n for n, _ in feishu_answers(fake)}) < N

    server = Orgbot(env)
    await server.start()
    try:
        await wait_answered(fake, lambda got: len(got) == N, timeout=300)
    finally:
        await server.stop()
    answers = feishu_answers(fake)
    assert {n for n, _ in answers} == set(range(N))
    # Feishu keeps one message per uuid (the API's idempotency key): what a person sees is this.
    seen = Counter(n for n, _ in set(answers))
    assert seen == Counter(range(N)), "after the platform's uuid dedupe, every message answered once"
    # A reply in flight at the kill may be sent again, with the same uuid; never more than the workers held.
    assert len(answers) - N <= 8
