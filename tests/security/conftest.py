"""Attacks replayed against a running app: a real aiohttp server on 127.0.0.1, demo people and cadres, a manual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import CookieJar
from aiohttp.test_utils import TestClient, TestServer

from bot.app import OrgBot
from bot.cadres.demo import seed_demo
from bot.clock import ManualClock

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
AUTH = {"Authorization": "Bearer test-token"}
A1002_ID_NUMBER = "000000199009030022"  # the demo cadre's 身份证号: must never reach an attacker


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
async def running(
    make_bot: Callable[..., Awaitable[OrgBot]], clock: ManualClock
) -> AsyncIterator[Callable[..., Awaitable[tuple[OrgBot, TestClient[Any, Any]]]]]:
    """Start a bot with the demo people and cadres and serve it on loopback; env sets config keys."""
    clients: list[TestClient[Any, Any]] = []

    async def start(**env: str) -> tuple[OrgBot, TestClient[Any, Any]]:
        bot = await make_bot(clock=clock, **env)
        await seed_demo(bot)
        # unsafe=True: keep cookies for the 127.0.0.1 address, as a browser keeps them for its host.
        client = TestClient(TestServer(bot.web_app(), host="127.0.0.1"), cookie_jar=CookieJar(unsafe=True))
        await client.start_server()
        clients.append(client)
        return bot, client

    yield start
    for client in clients:
        await client.close()
