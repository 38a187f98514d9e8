"""Chat choices about when a push goes (issue 11, items 2 and 5).

A date typed for a non-workday whose earlier workday is past is asked about (照常 or 顺延),
never refused as past nor silently moved; 现在 in a meeting notice is the moment of 确认.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.scheduling.models import ScheduleFire
from tests.conftest import add_staff, say
from tests.scheduling.conftest import inbox, local, service_of


async def _start_reminder(bot, when: str) -> str:
    await say(bot, "admin1", "/提醒 新建")
    await say(bot, "admin1", "党小组会")
    await say(bot, "admin1", when)
    await say(bot, "admin1", "@zs")
    return await say(bot, "admin1", "请准时参加")


async def _people(bot) -> None:
    await add_staff(bot, "admin1", "王书记", "admin")
    await add_staff(bot, "zs", "张三", unit="U01")


async def test_tonight_on_a_sunday_is_asked_about_and_zhaochang_sends_it_that_evening(clocked):
    bot, clock = await clocked(local(2026, 11, 29, 10, 0))  # a Sunday
    await _people(bot)
    preview = await _start_reminder(bot, "今天晚上8点")
    assert "时间已过去" not in preview
    assert "11-29 是周末" in preview and "照常" in preview and "顺延" in preview
    again = await say(bot, "admin1", "确认")
    assert "已创建" not in again and "照常" in again
    preview = await say(bot, "admin1", "照常")
    assert "2026-11-29 周日 20:00" in preview and "节假日照常发送" in preview
    assert "已创建 #1" in await say(bot, "admin1", "确认")
    clock.set(local(2026, 11, 29, 20, 0))
    await service_of(bot).tick()
    assert len(await inbox(bot, "zs")) == 1


async def test_tomorrow_morning_said_on_friday_evening_can_be_moved_to_monday(clocked):
    bot, clock = await clocked(local(2026, 11, 27, 19, 0))  # a Friday evening
    await _people(bot)
    preview = await _start_reminder(bot, "明天上午9点")
    assert "11-28 是周末" in preview
    preview = await say(bot, "admin1", "顺延")
    assert "2026-11-30 周一 09:00〔11-28 为周末，已顺延〕" in preview
    assert "已创建 #1" in await say(bot, "admin1", "确认")
    for day in (28, 30):
        clock.set(local(2026, 11, day, 9, 0))
        await service_of(bot).tick()
    assert len(await inbox(bot, "zs")) == 1


async def _notice_until_send(bot) -> None:
    await say(bot, "admin1", "/会议通知")
    await say(bot, "admin1", "支部党员大会")
    await say(bot, "admin1", "12月3日下午3点")
    await say(bot, "admin1", "三楼会议室")
    assert "什么时候发出" in await say(bot, "admin1", "@zs")
    assert "会前多久" in await say(bot, "admin1", "现在")


async def test_meeting_notice_now_is_the_moment_of_confirmation_even_after_a_pause(clocked):
    bot, clock = await clocked(local(2026, 11, 30, 10, 0))
    await _people(bot)
    await _notice_until_send(bot)
    clock.advance(timedelta(seconds=3))
    assert "会前 1 天催未回执者" in await say(bot, "admin1", "1天")
    clock.advance(timedelta(seconds=3))
    assert "已创建 #1" in await say(bot, "admin1", "确认")
    await service_of(bot).tick()
    got = await inbox(bot, "zs")
    assert len(got) == 1 and "【会议通知】支部党员大会" in got[0]
    assert "尚未发出" not in await say(bot, "admin1", "/回执 1")
    async with bot.db() as session:
        stages = list(await session.scalars(select(ScheduleFire.stage)))
    assert stages == ["notice"]


async def test_meeting_notice_now_without_rereminder_is_not_taken_for_a_past_time(clocked):
    bot, clock = await clocked(local(2026, 11, 30, 10, 0))
    await _people(bot)
    await _notice_until_send(bot)
    clock.advance(timedelta(seconds=3))
    reply = await say(bot, "admin1", "不催")
    assert "时间已过去" not in reply and "请确认" in reply
    clock.advance(timedelta(seconds=3))
    assert "已创建 #1" in await say(bot, "admin1", "确认")
    await service_of(bot).tick()
    assert len(await inbox(bot, "zs")) == 1
