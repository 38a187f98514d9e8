"""Attacks replayed against a running app: a real aiohttp server on 127.0.0.1, demo people and cadres,
a manual clock, the fake platforms, and an attacker's server that records what a tricked bot sends it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import CookieJar, web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import OrgBot
from bot.cadres.demo import seed_demo
from bot.clock import ManualClock
from tests.channels.conftest import fake, serve_channel  # noqa: F401  (fixtures shared with the channel tests)

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
AUTH = {"Authorization": "Bearer test-token"}
A1002_ID_NUMBER = "000000199009030022"  # the demo cadre's 身份证号: must never reach an attacker


@dataclass
class Attacker:
    """A server on 127.0.0.1 that records whatever a tricked bot sends it."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)

    async def collect(self, request: web.Request) -> web.Response:
        self.received.append({"path": request.path_qs, "body": (await request.read()).decode(errors="replace")})
        return web.json_response({"errcode": 0, "errmsg": "ok"})


@pytest.fixture
async def attacker() -> AsyncIterator[Attacker]:
    spy = Attacker()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", spy.collect)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    spy.url = str(server.make_url("")).rstrip("/")
    yield spy
    await server.close()


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
