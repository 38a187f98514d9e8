"""Cadre tests start from the bundled demo sheets at a fixed moment: 2026-11-28 10:00 in Shanghai."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.app import OrgBot
from bot.cadres.demo import seed_demo
from bot.clock import ManualClock

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
async def demo_bot(make_bot: Callable[..., Awaitable[OrgBot]], clock: ManualClock) -> OrgBot:
    bot = await make_bot(clock=clock)
    await seed_demo(bot)
    return bot
