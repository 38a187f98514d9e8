"""The local inbox hands each push out exactly once, also to many concurrent polls (issue 9).

Measured before the fix: 10 concurrent ``GET /api/v1/inbox`` returned each of 5 pushes 10 times.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.local import fetch_inbox
from bot.messages import Outgoing, Reply, Target
from tests.security.conftest import AUTH

_users = itertools.count()


@pytest.fixture
async def api_app(running):
    return await running(ORGBOT_API_ACT_AS="*")


async def poll(client, user_id: str) -> list[str]:
    resp = await client.get("/api/v1/inbox", params={"user_id": user_id}, headers=AUTH)
    assert resp.status == 200, await resp.text()
    return [m["text"] for m in (await resp.json())["messages"]]


async def push(bot, user_id: str, text: str) -> None:
    await bot.deliver(Outgoing(Target("local", user_id=user_id), Reply(text)))


async def test_ten_concurrent_polls_get_five_pushes_once(api_app):
    bot, client = api_app
    for i in range(5):
        await push(bot, "demo_staff", f"通知{i}")
    got = [t for batch in await asyncio.gather(*(poll(client, "demo_staff") for _ in range(10))) for t in batch]
    assert sorted(got) == [f"通知{i}" for i in range(5)]
    assert await poll(client, "demo_staff") == []


@settings(max_examples=4, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pushes=st.integers(min_value=1, max_value=12), pollers=st.integers(min_value=10, max_value=50))
async def test_invariant_each_push_handed_out_exactly_once_over_http(api_app, pushes, pollers):
    bot, client = api_app
    user = f"u{next(_users)}"
    texts = [f"{user}-推送{i}" for i in range(pushes)]
    for text in texts:
        await push(bot, user, text)
    batches = await asyncio.gather(*(poll(client, user) for _ in range(pollers)))
    counts = Counter(t for batch in batches for t in batch)
    assert counts == Counter(texts)
    for batch in batches:  # each poller sees its share in the order the pushes were made
        assert batch == sorted(batch, key=texts.index)


@settings(max_examples=4, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=st.lists(st.sampled_from(["push", "poll"]), min_size=10, max_size=40))
async def test_invariant_pushes_arriving_during_polls_are_each_handed_out_once(api_app, plan):
    """Deliveries and polls interleaved at random, then a final drain: nothing lost, nothing twice."""
    bot, _ = api_app
    user = f"u{next(_users)}"
    made: list[str] = []
    tasks = []
    for i, step in enumerate(plan):
        if step == "push":
            made.append(f"{user}-{i}")
            tasks.append(asyncio.create_task(push(bot, user, made[-1])))
        else:
            tasks.append(asyncio.create_task(fetch_inbox(bot, user, limit=3)))
    results = await asyncio.gather(*tasks)
    got = [p.text for r in results if isinstance(r, list) for p in r]
    got += [p.text for p in await fetch_inbox(bot, user)]
    assert Counter(got) == Counter(made)
