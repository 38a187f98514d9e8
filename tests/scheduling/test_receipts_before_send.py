"""/回执 straight after a notice is confirmed, before the scheduler has fired it: who it will reach, and when."""

from __future__ import annotations

from tests.conftest import add_staff, say
from tests.scheduling.conftest import inbox, local, service_of
from tests.scheduling.test_receipts_chat import _create_notice, _people


async def test_unsent_notice_lists_its_planned_recipients_and_send_time_not_zero_of_zero(clocked):
    bot, _ = await clocked(local(2026, 11, 27, 10, 0))
    await _people(bot)
    await _create_notice(bot)  # 单位:U01 (4 people), sent “现在”, not yet fired

    listing = await say(bot, "org1", "/回执")
    assert "#1 第四季度支部党员大会：尚未发出（预计 4 人，10:00 发送）" in listing
    assert "0/0" not in listing
    detail = await say(bot, "org1", "/回执 1")
    assert "尚未发出（预计 4 人，10:00 发送），发出后开始收集回执" in detail

    await service_of(bot).tick()
    assert len(await inbox(bot, "zs")) == 1
    listing = await say(bot, "org1", "/回执")
    assert "#1 第四季度支部党员大会：已确认 0/4" in listing and "尚未发出" not in listing


async def test_a_later_notice_shows_its_day_and_a_group_only_notice_no_count(clocked):
    bot, _ = await clocked(local(2026, 11, 27, 10, 0))
    await add_staff(bot, "admin1", "王书记", "admin")
    await add_staff(bot, "zs", "张三", unit="U01")
    for target, name in (("@zs", "党课"), ("群:local:group-1", "群里的会")):
        assert "会议名称" in await say(bot, "admin1", "/会议通知")
        assert "什么时候开" in await say(bot, "admin1", name)
        assert "地点" in await say(bot, "admin1", "12月5日 15:00")
        assert "发给谁" in await say(bot, "admin1", "无")
        assert "什么时候发出" in await say(bot, "admin1", target)
        assert "会前多久" in await say(bot, "admin1", "12月1日 9:00")
        await say(bot, "admin1", "不催")
        assert "已创建" in await say(bot, "admin1", "确认")

    listing = await say(bot, "admin1", "/回执")
    assert "#1 党课：尚未发出（预计 1 人，12-01 09:00 发送）" in listing
    assert "#2 群里的会：尚未发出（发到群聊，12-01 09:00 发送）" in listing
