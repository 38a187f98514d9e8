"""Helpers for scheduling tests: a bot on a manual clock, its service, and people's inboxes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.app import OrgBot
from bot.channels.local import fetch_inbox
from bot.clock import ManualClock
from bot.scheduling.service import SchedulingService

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def service_of(bot: OrgBot) -> SchedulingService:
    return bot.scheduling


async def inbox(bot: OrgBot, user_id: str) -> list[str]:
    return [m.text for m in await fetch_inbox(bot, user_id, limit=1000)]


@pytest.fixture
async def clocked(make_bot: Callable[..., Awaitable[OrgBot]]) -> Callable[..., Awaitable[tuple[OrgBot, ManualClock]]]:
    async def make(start: datetime, channels: list[Any] | None = None, **env: str) -> tuple[OrgBot, ManualClock]:
        clock = ManualClock(start)
        bot = await make_bot(clock=clock, channels=channels, **env)
        return bot, clock

    return make
