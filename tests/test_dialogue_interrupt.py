"""A command typed in the middle of a guided dialogue ends it — and the person is told, read like a transcript."""

from __future__ import annotations

from datetime import timedelta

from bot.handler import save_state
from bot.messages import ChatType, Incoming
from tests.conftest import add_staff, say, say_replies


async def test_a_command_mid_dialogue_says_the_dialogue_ended_and_later_answers_are_not_taken_for_it(bot):
    await add_staff(bot, "admin1", "王书记", "admin")
    assert "标题是什么" in await say(bot, "admin1", "/提醒 新建")
    assert "什么时候提醒" in await say(bot, "admin1", "支部党员大会材料报送")

    replies = await say_replies(bot, "admin1", "/提醒 列表")
    assert "还没有提醒" in replies[0].text
    assert replies[-1].text == "已退出正在进行的“新建提醒”，如需继续请重新发送 /提醒 新建"

    # The dialogue is gone: the next answer is not read as its "when" step, and nothing is noted twice.
    later = await say(bot, "admin1", "1天")
    assert "发给谁" not in later and "已退出" not in later


async def test_another_handlers_command_interrupts_too_and_restarting_the_same_dialogue_is_not_noted(bot):
    await add_staff(bot, "admin1", "王书记", "admin")
    assert "会议名称" in await say(bot, "admin1", "/会议通知")
    reply = await say(bot, "admin1", "/帮助")
    assert "可以帮您" in reply and reply.endswith("已退出正在进行的“会议通知”，如需继续请重新发送 /会议通知")

    assert "会议名称" in await say(bot, "admin1", "/会议通知")
    again = await say(bot, "admin1", "/会议通知")
    assert "会议名称" in again and "已退出" not in again
    assert "什么时候开" in await say(bot, "admin1", "第四季度支部党员大会")


async def test_a_dialogue_without_a_label_ends_quietly_as_before(bot):
    await add_staff(bot, "admin1", "王书记", "admin")

    msg = Incoming(channel="terminal", chat_id="dm:admin1", chat_type=ChatType.PRIVATE, sender_id="admin1", text="")
    await save_state(
        bot, msg, "admin1", "handlers.reminders.reminders", {"flow": "new", "step": "name"}, timedelta(minutes=5)
    )
    reply = await say(bot, "admin1", "/帮助")
    assert "可以帮您" in reply and "已退出" not in reply
