"""A meeting notice with receipts, as an organizer and the recipients live it in chat."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.scheduling.models import ScheduleChange
from tests.conftest import add_staff, say
from tests.scheduling.conftest import inbox, local, service_of


async def _people(bot):
    await add_staff(bot, "org1", "李组织", "organizer", unit="U01")
    await add_staff(bot, "zs", "张三", unit="U01")
    await add_staff(bot, "ls", "李四", unit="U01")
    await add_staff(bot, "ww", "王五", unit="U01")
    async with bot.db() as session, session.begin():
        from bot.storage.models import Staff

        org = await session.scalar(select(Staff).where(Staff.user_id == "org1"))
        org.unit_scope = "U01"


async def _create_notice(bot) -> None:
    assert "会议名称" in await say(bot, "org1", "/会议通知")
    assert "什么时候开" in await say(bot, "org1", "第四季度支部党员大会")
    assert "上午 3 点还是下午 3 点" in await say(bot, "org1", "下周三3点")
    assert "地点" in await say(bot, "org1", "下午")
    assert "发给谁" in await say(bot, "org1", "三楼会议室，请带党员证")
    assert "什么时候发出" in await say(bot, "org1", "单位:U01")
    assert "会前多久" in await say(bot, "org1", "现在")
    reply = await say(bot, "org1", "1天")
    assert "会议时间 2026-12-02 15:00" in reply and "会前 1 天催未回执者" in reply
    assert "2026-12-01 周二 15:00（催未回执者）" in reply
    assert "已创建 #1" in await say(bot, "org1", "确认")


async def test_receipts_show_exactly_who_has_not_confirmed_and_only_they_are_reminded(clocked):
    bot, clock = await clocked(local(2026, 11, 27, 10, 0))  # Friday
    await _people(bot)
    await _create_notice(bot)
    service = service_of(bot)
    await service.tick()
    for person in ("zs", "ls", "ww", "org1"):
        texts = await inbox(bot, person)
        assert len(texts) == 1 and "【会议通知】第四季度支部党员大会" in texts[0], person
        assert "2026年12月2日（周三） 15:00" in texts[0] and "请回复“收到”" in texts[0]

    assert "已确认收到《第四季度支部党员大会》" in await say(bot, "zs", "收到")
    assert "您已确认过" in await say(bot, "zs", "收到")
    assert "已确认收到" in await say(bot, "ls", "1")

    report = await say(bot, "org1", "/回执 1")
    assert "已确认 2/4，未确认 2" in report
    waiting_line = next(line for line in report.splitlines() if line.startswith("未确认"))
    assert "王五（ww）" in waiting_line and "李组织（org1）" in waiting_line
    assert "张三" not in waiting_line and "李四" not in waiting_line

    csv_text = await say(bot, "org1", "/回执 1 导出")
    assert "zs,张三,已确认" in csv_text and "ww,王五,未确认" in csv_text

    clock.set(local(2026, 12, 1, 15, 0, 1))
    await service.tick()
    assert await inbox(bot, "zs") == [] and await inbox(bot, "ls") == []
    nudged = await inbox(bot, "ww")
    assert len(nudged) == 1 and "您还没有确认《第四季度支部党员大会》" in nudged[0]

    clock.advance(timedelta(minutes=5))
    await service.tick()
    assert await inbox(bot, "ww") == []


async def test_bare_1_is_no_confirmation_without_an_open_notice_nor_inside_a_dialogue(clocked):
    bot, _ = await clocked(local(2026, 11, 27, 10, 0))
    await _people(bot)
    not_ours = await say(bot, "zs", "1")
    assert "确认" not in not_ours and "收到" not in not_ours
    assert "标题" in await say(bot, "org1", "/提醒 新建")
    assert "什么时候" in await say(bot, "org1", "1")
    async with bot.db() as session:
        assert (await session.scalars(select(ScheduleChange))).first() is None


async def test_two_open_notices_confirm_the_newest_and_name_the_other(clocked):
    bot, clock = await clocked(local(2026, 11, 27, 10, 0))
    await _people(bot)
    await _create_notice(bot)
    clock.advance(timedelta(minutes=1))
    await say(bot, "org1", "/会议通知")
    await say(bot, "org1", "党课")
    await say(bot, "org1", "12月4日下午2点")
    await say(bot, "org1", "无")
    await say(bot, "org1", "@zs")
    await say(bot, "org1", "现在")
    await say(bot, "org1", "不催")
    assert "已创建 #2" in await say(bot, "org1", "确认")
    await service_of(bot).tick()
    reply = await say(bot, "zs", "收到")
    assert "《党课》" in reply.splitlines()[0] and "收到 1" in reply
    assert "《第四季度支部党员大会》" in await say(bot, "zs", "收到 1")


async def test_organizer_cannot_push_outside_their_units(clocked):
    bot, _ = await clocked(local(2026, 11, 27, 10, 0))
    await _people(bot)
    await add_staff(bot, "far", "远方", unit="U99")
    await say(bot, "org1", "/会议通知")
    await say(bot, "org1", "会")
    await say(bot, "org1", "12月4日下午2点")
    await say(bot, "org1", "无")
    assert "不在您管理的单位范围" in await say(bot, "org1", "@far")
    assert "不能按“全体”" in await say(bot, "org1", "全体")
    assert "什么时候发出" in await say(bot, "org1", "单位:U01")


async def test_confirmation_from_an_im_account_counts_for_the_staff_member(clocked):
    bot, _ = await clocked(local(2026, 11, 27, 10, 0))
    await _people(bot)
    await add_staff(bot, "zs", "张三", unit="U01", im=(("wecom", "ZhangSan"),))
    await _create_notice(bot)
    await service_of(bot).tick()
    assert "已确认收到" in await say(bot, "ZhangSan", "收到", channel="wecom")
    report = await say(bot, "org1", "/回执 1")
    assert "已确认 1/4" in report and "张三（zs）（" in report
