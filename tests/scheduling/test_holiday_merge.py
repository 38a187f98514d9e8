"""Ladder rungs that a holiday shift puts on the same day: the preview says so, the push counts right.

A 2027-01-04 deadline (a Monday) with the 7/3/1/0 ladder: D-3 is 01-01 (元旦), D-1 is 01-03 (a Sunday).
chinese-calendar stops at 2026; 01-01 is 元旦 every year, announced or not, while 2027's 春节 stays
unknown until configured — so the year's warning stays even with 01-01 in extra_holidays.
"""

from __future__ import annotations

from tests.conftest import add_staff, say
from tests.scheduling.conftest import inbox, local, service_of


async def _enable_qiyi(bot) -> str:
    assert "截止日期是" in await say(bot, "admin1", "/提醒 启用 七一表彰推荐")
    assert "发给谁" in await say(bot, "admin1", "2027年1月4日前")
    return await say(bot, "admin1", "@zs")


async def test_two_rungs_on_a_configured_holiday_and_a_weekend_merge_onto_the_workday_before(clocked):
    bot, clock = await clocked(local(2026, 11, 28, 10, 0), ORGBOT_SCHEDULER_EXTRA_HOLIDAYS="2027-01-01")
    await add_staff(bot, "admin1", "王书记", "admin")
    await add_staff(bot, "zs", "张三", unit="U01")

    preview = await _enable_qiyi(bot)
    assert "2026-12-28 周一 09:00（截止前 7 天）" in preview
    assert (
        "2026-12-31 周四 09:00（截止前 4 天）"
        "〔原定 01-01（截止前 3 天）为节假日、01-03（截止前 1 天）为周末，合并提前到 12-31〕"
    ) in preview
    assert "2027-01-04 周一 09:00（截止当天）" in preview
    assert "注意：2027 年的法定节假日尚未载入" in preview
    assert "已创建" in await say(bot, "admin1", "确认")

    clock.set(local(2026, 12, 31, 9, 0))
    await service_of(bot).tick()
    got = await inbox(bot, "zs")
    assert len(got) == 1 and "截止日期：2027年1月4日（周一），还有 4 天。" in got[0]

    # Nothing more until the deadline day: the two rungs were sent once, on 12-31.
    for day in (1, 2, 3):
        clock.set(local(2027, 1, day, 9, 0))
        await service_of(bot).tick()
    assert await inbox(bot, "zs") == []
    clock.set(local(2027, 1, 4, 9, 0))
    await service_of(bot).tick()
    got = await inbox(bot, "zs")
    assert len(got) == 1 and "今天截止" in got[0]


async def test_without_the_holiday_configured_new_year_is_still_a_holiday_and_the_unknown_year_shows(clocked):
    bot, _ = await clocked(local(2026, 11, 28, 10, 0))
    await add_staff(bot, "admin1", "王书记", "admin")
    await add_staff(bot, "zs", "张三", unit="U01")

    preview = await _enable_qiyi(bot)
    lines = preview.splitlines()
    merged = next(line for line in lines if "2026-12-31 周四 09:00" in line)
    assert "〔原定 01-01（截止前 3 天）为元旦、01-03（截止前 1 天）为周末，合并提前到 12-31〕" in merged
    assert "〔2027 年节假日未载入，按周末推算〕" in merged
    assert "2027 年节假日未载入" in next(line for line in lines if "2027-01-04 周一" in line)
    assert "未载入" not in next(line for line in lines if "2026-12-28" in line)
    assert any(line.strip().startswith("注意：2027 年的法定节假日尚未载入") for line in lines)
