"""The message path, read like a chat transcript."""

from __future__ import annotations

from bot.messages import ChatType, Incoming
from tests.conftest import add_staff, say


async def test_help_lists_features_for_guests(bot):
    reply = await say(bot, "stranger", "/帮助")
    assert "可以帮您" in reply
    assert "/帮助" in reply
    assert "访客" in reply
    # Cadre lookups refuse guests, so they are not offered to them.
    assert "/培训" not in reply and "/我的培训" not in reply


async def test_help_in_english_and_fullwidth_slash(bot):
    assert "可以帮您" in await say(bot, "x", "/help")
    assert "可以帮您" in await say(bot, "x", "／帮助")


async def test_unknown_command_suggests_closest(bot):
    reply = await say(bot, "x", "/帮肋")
    assert "没有 /帮肋 这个命令" in reply


async def test_same_platform_message_id_is_answered_once(bot):
    msg = Incoming(
        channel="wecom", chat_id="c", chat_type=ChatType.PRIVATE, sender_id="u", text="/帮助", message_id="m-1"
    )
    assert await bot.accept(msg) is True
    assert await bot.accept(msg) is False


async def test_group_message_without_mention_is_ignored(bot):
    msg = Incoming(
        channel="wecom", chat_id="g", chat_type=ChatType.GROUP, sender_id="u", text="/帮助", mentioned_bot=False
    )
    assert await bot.handle(msg) is None


async def test_known_staff_is_not_a_guest(bot):
    await add_staff(bot, "zhangsan", "张三")
    reply = await say(bot, "zhangsan", "/帮助")
    assert "访客" not in reply
    assert "/培训" in reply and "/我的培训" in reply


async def test_identity_on_platform_maps_to_staff(bot):
    await add_staff(bot, "lisi", "李四", "admin", im=(("wecom", "LiSi01"),))
    msg = Incoming(channel="wecom", chat_id="c", chat_type=ChatType.PRIVATE, sender_id="LiSi01", text="/帮助")
    replies = await bot.handle(msg)
    assert replies and "访客" not in replies[0].text


async def test_greeting_is_answered_kindly(bot):
    await add_staff(bot, "zhaoliu", "赵六")
    assert "您好，赵六" in await say(bot, "zhaoliu", "你好")
    assert "/帮助" in await say(bot, "guest", "Hello!")


async def test_a_refusal_by_role_is_audited(bot):
    from sqlalchemy import select

    from bot.storage.models import AuditEntry

    reply = await say(bot, "visitor", "/提醒 列表")
    assert "权限" in reply
    async with bot.db() as session:
        rows = list(await session.scalars(select(AuditEntry).where(AuditEntry.action == "role.denied")))
    assert [(r.actor, r.actor_role, r.outcome, r.query) for r in rows] == [("visitor", "guest", "denied", "/提醒 列表")]


def test_a_phrasing_that_declines_lets_the_next_phrasing_and_then_the_fallback_answer():
    """``applies=`` lets a handler decline a match; the router then looks further, never calls it."""
    from bot.handler import handler
    from bot.router import Router

    async def never(ctx) -> bool:
        return False

    @handler(patterns=[r"^1$"], priority=50, applies=never, name="receipt")
    async def receipt(ctx):
        return "receipt"

    @handler(patterns=[r"\d"], name="digits")
    async def digits(ctx):
        return "digits"

    @handler(fallback=True, name="qa")
    async def qa(ctx):
        return "qa"

    router = Router([receipt, digits, qa])
    assert router.resolve("1").spec.name == "receipt"
    assert router.resolve("1", skip={"receipt"}).spec.name == "digits"
    assert router.resolve("1", skip={"receipt", "digits"}).spec.name == "qa"
