"""Fixtures for the platform channels: the fake platform APIs and a bot serving callbacks on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bench.support.fake_platforms import FakePlatforms
from bench.support.wecom_peer import APP_AES_KEY, BOT_AES_KEY  # noqa: F401  (tests import them from here)
from bot.app import OrgBot


@pytest.fixture
async def fake() -> AsyncIterator[FakePlatforms]:
    platforms = FakePlatforms()
    server = TestServer(platforms.app(), host="127.0.0.1")
    await server.start_server()
    platforms.url = str(server.make_url("")).rstrip("/")  # type: ignore[attr-defined]
    yield platforms
    await server.close()


async def settle(bot: OrgBot, timeout: float = 60.0) -> None:
    """Wait until every acknowledged message in the durable inbox is answered (or given up)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (await bot.inbox.counts()) or bot.answer_workers.in_flight():
        if loop.time() > deadline:
            raise AssertionError(f"inbox not drained: {await bot.inbox.counts()}")
        bot.answer_workers.wake()
        await asyncio.sleep(0.02)


@pytest.fixture
async def serve_channel(
    make_bot: Callable[..., Awaitable[OrgBot]], config_for: Callable[..., Any], db_url: str
) -> AsyncIterator[Callable[..., Awaitable[tuple[OrgBot, Any, TestClient]]]]:
    """Start a bot with one platform channel built by its own from_config, behind a loopback HTTP server."""
    clients: list[TestClient] = []

    async def make(module: Any, **env: str) -> tuple[OrgBot, Any, TestClient]:
        channel = module.from_config(config_for(db_url, **env))
        assert channel is not None
        bot = await make_bot(channels=[channel], **env)
        client = TestClient(TestServer(bot.web_app(), host="127.0.0.1"))
        await client.start_server()
        clients.append(client)
        return bot, channel, client

    yield make
    for client in clients:
        await client.close()
