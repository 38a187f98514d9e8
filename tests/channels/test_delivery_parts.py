"""The pieces every platform shares: splitting, markdown subsets, the token cache, rate limits, retries."""

from __future__ import annotations

import asyncio

import pytest

from bot.channels.base import DeliveryError
from bot.channels.outbound import with_retries
from bot.channels.recipient_limits import RecipientLimit
from bot.channels.render import (
    split_utf8,
    title_of,
    to_dingtalk_markdown,
    to_plain_text,
    to_wecom_markdown,
    utf8_len,
)
from bot.channels.tokens import AccessToken


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.mark.parametrize("limit", [20, 64, 2048])
def test_split_keeps_every_character_and_respects_the_byte_limit(limit):
    text = (
        "第一段：入党积极分子培养考察一年以上。\n\n"
        + "\n".join("第二段" + "党" * n for n in range(1, 40))
        + "\n\n"
        + "长" * 900
    )
    parts = split_utf8(text, limit)
    assert all(utf8_len(p) <= limit for p in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")


def test_split_prefers_paragraph_boundaries():
    text = "甲" * 300 + "\n\n" + "乙" * 300 + "\n\n" + "丙" * 300
    assert split_utf8(text, 2000) == ["甲" * 300 + "\n\n" + "乙" * 300, "丙" * 300]


def test_short_text_is_one_part():
    assert split_utf8("您好", 2048) == ["您好"]


def test_markdown_degrades_to_each_platform_subset():
    md = "# 报送通知\n\n请 **各支部** 查看 [细则](https://example.org/a)\n\n| 单位 | 截止 |\n|---|---|\n| 一支部 | 周五 |\n\n```\ncode\n```"
    assert (
        to_plain_text(md)
        == "报送通知\n\n请 各支部 查看 细则（https://example.org/a）\n\n单位  截止\n一支部  周五\n\ncode"
    )
    assert "| 单位" not in to_wecom_markdown(md) and "**各支部**" in to_wecom_markdown(md)
    assert "```" not in to_dingtalk_markdown(md) and "# 报送通知" in to_dingtalk_markdown(md)
    assert title_of(md) == "报送通知"
    assert title_of("x" * 50) == "x" * 19 + "…"


async def test_token_is_fetched_once_for_concurrent_callers_and_refreshed_before_expiry():
    clock = FakeClock()
    issued: list[str] = []

    async def fetch() -> tuple[str, float]:
        await asyncio.sleep(0)
        issued.append(f"t{len(issued) + 1}")
        return issued[-1], 7200

    token = AccessToken(fetch, refresh_margin=300, clock=clock)
    assert set(await asyncio.gather(*(token.get() for _ in range(20)))) == {"t1"}
    clock.t += 7200 - 301
    assert await token.get() == "t1"
    clock.t += 2
    assert await token.get() == "t2"
    token.invalidate("t1")  # a stale error report must not drop the newer token
    assert await token.get() == "t2"
    token.invalidate("t2")
    assert await token.get() == "t3"


async def test_rate_limiter_waits_short_and_refuses_long_waits():
    clock = FakeClock()
    limiter = RecipientLimit(2, 60, clock=clock)
    await limiter.acquire("k")
    await limiter.acquire("k")
    with pytest.raises(DeliveryError) as err:
        await limiter.acquire("k", max_wait=5)
    assert err.value.retry_after == pytest.approx(60)
    await limiter.acquire("other")
    clock.t += 60
    await limiter.acquire("k")
    limiter.penalize("k", 600)
    assert limiter.delay("k") == pytest.approx(600)


async def test_retries_stop_at_a_permanent_error_and_continue_after_transient_ones():
    attempts: list[int] = []

    async def flaky() -> None:
        attempts.append(1)
        if len(attempts) < 3:
            raise DeliveryError("busy", retry_after=0)

    assert await with_retries(flaky, what="test") is True
    assert len(attempts) == 3

    async def refused() -> None:
        attempts.append(1)
        raise DeliveryError("no such user", permanent=True)

    attempts.clear()
    assert await with_retries(refused, what="test") is False
    assert len(attempts) == 1
