"""Receipts beyond one organizer's own notices: unit scopes, group chats, and who may push to a group."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.cadres.models import Unit
from bot.messages import Outgoing
from bot.scheduling.models import Receipt
from tests.conftest import add_staff, say
from tests.scheduling.conftest import inbox, local, service_of


class FakeWecom:
    """Records pushes instead of calling the platform."""

    name = "wecom"

    def __init__(self) -> None:
        self.delivered: list[Outgoing] = []

    def routes(self) -> list:
        return []

    async def start(self, bot) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, message: Outgoing) -> None:
        self.delivered.append(message)


async def _units(bot) -> None:
    async with bot.db() as session, session.begin():
        session.add_all(
            [
                Unit(code="ROOT", name="市委组织部", parent_code=None),
                Unit(code="U01", name="一支部", parent_code="ROOT"),
                Unit(code="U0101", name="一支部第一党小组", parent_code="U01"),
                Unit(code="U02", name="二支部", parent_code="ROOT"),
                Unit(code="U03", name="三支部", parent_code="ROOT"),
            ]
        )


async def _people(bot) -> None:
    await _units(bot)
    await add_staff(bot, "admin1", "管理员甲", "admin")
    await add_staff(bot, "org1", "李组织", "organizer", unit="U01")
    await add_staff(bot, "org2", "赵组织", "organizer", unit="U02")
    await add_staff(bot, "org3", "钱组织", "organizer", unit="U03")
    await add_staff(bot, "zs", "张三", unit="U01")
    await add_staff(bot, "xz", "小组长", unit="U0101")
    await add_staff(bot, "far", "远方", unit="U02")


async def _notice(bot, who: str, name: str, targets: str, number: int) -> None:
    """The /会议通知 dialogue: meeting 12月2日 15:00, sent now, re-remind 1 day before."""
    assert "会议名称" in await say(bot, who, "/会议通知")
    assert "什么时候开" in await say(bot, who, name)
    assert "地点" in await say(bot, who, "12月2日下午3点")
    assert "发给谁" in await say(bot, who, "三楼会议室")
    assert "什么时候发出" in await say(bot, who, targets)
    assert "会前多久" in await say(bot, who, "现在")
    assert "请确认" in await say(bot, who, "1天")
    assert f"已创建 #{number}" in await say(bot, who, "确认")


async def test_organizer_sees_an_admins_notice_to_their_units_but_only_their_people(clocked):
    bot, _ = await clocked(local(2026, 11, 27, 10, 0))
    await _people(bot)
    await _notice(bot, "admin1", "全市党员大会", "单位:U01 单位:U02", 1)
    await service_of(bot).tick()
    for person in ("zs", "xz", "far", "org1", "org2"):
        assert len(await inbox(bot, person)) == 1, person
    assert "已确认收到" in await say(bot, "zs", "收到")
    assert "已确认收到" in await say(bot, "org2", "收到")

    listed = await say(bot, "org1", "/回执")
    assert "#1 全市党员大会（仅计您管理范围内的人员）：已确认 1/3" in listed
    report = await say(bot, "org1", "/回执 1")
    assert "回执（仅含您管理范围 U01 内的人员）：已确认 1/3，未确认 2" in report
    assert "张三（zs）" in report and "小组长（xz）" in report and "李组织（org1）" in report
    assert "远方" not in report and "far" not in report and "赵组织" not in report
    exported = await say(bot, "org1", "/回执 1 导出")
    assert "zs,张三,已确认" in exported and "xz,小组长,未确认" in exported
    assert "far" not in exported and "org2" not in exported

    # 催办 by org1 reaches the unconfirmed in U01 only; 远方 (U02) is org2's business.
    assert "已向 2 位未确认的人再次发送提醒" in await say(bot, "org1", "/回执 1 催办")
    await service_of(bot).tick()
    assert len(await inbox(bot, "xz")) == 1 and len(await inbox(bot, "org1")) == 1
    assert await inbox(bot, "far") == [] and await inbox(bot, "zs") == []

    other = await say(bot, "org2", "/回执 1")
    assert "已确认 1/2，未确认 1" in other and "远方（far）" in other and "赵组织（org2）" in other
    assert "张三" not in other and "小组长" not in other

    assert "还没有需要回执的通知" in await say(bot, "org3", "/回执")
    refused = await say(bot, "org3", "/回执 1")
    assert "没有发给您管理范围（U03）内的人员" in refused and "张三" not in refused
    assert "没有发给您管理范围" in await say(bot, "org3", "/回执 1 导出")
    assert "没有发给您管理范围" in await say(bot, "org3", "/回执 1 催办")

    full = await say(bot, "admin1", "/回执 1")
    assert "已确认 2/5，未确认 3" in full and "远方（far）" in full and "张三（zs）" in full


async def test_organizer_still_sees_all_of_their_own_notice(clocked):
    bot, _ = await clocked(local(2026, 11, 27, 10, 0))
    await _people(bot)
    await _notice(bot, "org1", "支部委员会", "@zs @xz", 1)
    await service_of(bot).tick()
    listed = await say(bot, "org1", "/回执")
    assert "#1 支部委员会：已确认 0/2" in listed and "仅计" not in listed
    assert "还没有需要回执的通知" in await say(bot, "org2", "/回执")


async def test_receipts_said_in_a_group_chat_count_for_the_sender(clocked):
    wecom = FakeWecom()
    bot, clock = await clocked(local(2026, 11, 27, 10, 0), [wecom])
    await _people(bot)
    await add_staff(bot, "ls", "李四", unit="U02", im=(("wecom", "LiSi"),))
    await _notice(bot, "admin1", "理论学习会", "群:group-1", 1)
    await service_of(bot).tick()
    [pushed] = await inbox(bot, "group-1")
    assert "【会议通知】理论学习会" in pushed and "请回复“收到”" in pushed
    assert await inbox(bot, "zs") == []

    assert "还没有发出" not in await say(bot, "admin1", "/回执 1")
    assert "群内已确认：暂无；群成员名单未知，无法列出未确认者" in await say(bot, "admin1", "/回执 1")

    assert "已确认收到《理论学习会》" in await say(bot, "zs", "收到", group=True)
    assert "您已确认过《理论学习会》" in await say(bot, "zs", "收到", group=True)
    clock.advance(timedelta(minutes=5))
    assert "已确认收到《理论学习会》" in await say(bot, "xz", "1", group=True)
    assert "还没有登记为工作人员" in await say(bot, "stranger", "收到", group=True)
    # Said elsewhere, 收到 is not about this group's notice.
    assert "目前没有需要您确认的通知" in await say(bot, "far", "收到")
    assert "目前没有需要您确认的通知" in await say(bot, "far", "收到", group=True, chat="group-2")

    report = await say(bot, "admin1", "/回执 1")
    assert "发到群 local:group-1，群内已确认 2 人" in report
    assert (
        "群内已确认：张三（zs）（11-27 10:00）、小组长（xz）（11-27 10:05）；群成员名单未知，无法列出未确认者。"
        in report
    )
    assert "催办" not in report
    assert "群成员名单未知，无法只提醒未确认的人" in await say(bot, "admin1", "/回执 1 催办")
    assert "zs,张三,已确认（群内）" in await say(bot, "admin1", "/回执 1 导出")
    assert "#1 理论学习会：群内已确认 2 人（群成员名单未知）" in await say(bot, "admin1", "/回执")

    # The organizer of U01 sees their own people who confirmed in the group, and nobody else's.
    scoped = await say(bot, "org1", "/回执 1")
    assert "群内已确认：张三（zs）" in scoped and "小组长（xz）" in scoped
    assert "还没有需要回执的通知" in await say(bot, "org2", "/回执")

    # On an IM platform the sender's platform account is mapped to their staff identity.
    await _notice(bot, "admin1", "专题党课", "群:wecom:wrGroup", 2)
    await service_of(bot).tick()
    assert [m.target.chat_id for m in wecom.delivered] == ["wrGroup"]
    assert "已确认收到《专题党课》" in await say(bot, "LiSi", "收到", group=True, chat="wrGroup", channel="wecom")
    async with bot.db() as session:
        row = await session.get(Receipt, (2, "ls"))
        assert row is not None and row.confirmed_at is not None and row.notified_at is None
        assert row.confirmed_via == "群:wecom:wrGroup"
    assert "群内已确认：李四（ls）" in await say(bot, "admin1", "/回执 2")
    # The same words in the local group still belong to the local group's notice.
    assert "您已确认过《理论学习会》" in await say(bot, "zs", "收到", group=True)


async def test_group_and_unit_notice_lists_who_has_not_and_re_reminds_only_them(clocked):
    bot, clock = await clocked(local(2026, 11, 27, 10, 0))
    await _people(bot)
    await _notice(bot, "admin1", "一支部党员大会", "群:group-1 单位:U01", 1)
    service = service_of(bot)
    await service.tick()
    assert len(await inbox(bot, "group-1")) == 1
    for person in ("zs", "xz", "org1"):
        assert len(await inbox(bot, person)) == 1, person

    assert "已确认收到《一支部党员大会》" in await say(bot, "zs", "收到", group=True)
    assert "已确认收到《一支部党员大会》" in await say(bot, "far", "收到", group=True)
    # zs already confirmed in the group: a private 收到 changes nothing.
    assert "您已确认过《一支部党员大会》" in await say(bot, "zs", "收到")

    report = await say(bot, "admin1", "/回执 1")
    assert "已确认 1/3，未确认 2" in report
    waiting = next(line for line in report.splitlines() if line.startswith("未确认"))
    assert "小组长（xz）" in waiting and "李组织（org1）" in waiting and "张三" not in waiting
    assert "张三（zs）（11-27 10:00，群内）" in report
    assert "群内另有确认（不在通知名单中）：远方（far）" in report
    assert "#1 一支部党员大会：已确认 1/3，群内另有 1 人确认" in await say(bot, "admin1", "/回执")

    scoped = await say(bot, "org1", "/回执 1")
    assert "（仅含您管理范围 U01 内的人员）：已确认 1/3" in scoped and "张三（zs）（11-27 10:00，群内）" in scoped
    assert "远方" not in scoped and "群内另有" not in scoped

    async with bot.db() as session:
        rows = {r.user_id: r for r in await session.scalars(select(Receipt).where(Receipt.schedule_id == 1))}
    assert rows["zs"].notified_at is not None and rows["zs"].confirmed_via == "群:terminal:group-1"
    assert rows["far"].notified_at is None

    clock.set(local(2026, 12, 1, 15, 0, 1))
    await service.tick()
    assert len(await inbox(bot, "xz")) == 1 and len(await inbox(bot, "org1")) == 1
    assert await inbox(bot, "zs") == [] and await inbox(bot, "far") == []
    assert await inbox(bot, "group-1") == []


async def test_only_admins_push_to_group_chats(clocked):
    bot, _ = await clocked(local(2026, 11, 27, 10, 0))
    await _people(bot)
    assert "会议名称" in await say(bot, "org1", "/会议通知")
    await say(bot, "org1", "支部会")
    await say(bot, "org1", "12月2日下午3点")
    await say(bot, "org1", "无")
    refused = await say(bot, "org1", "群:group-1 单位:U01")
    assert "组织员不能推送到群聊（群 local:group-1）" in refused and "请联系管理员" in refused
    assert "什么时候发出" in await say(bot, "org1", "单位:U01")
    await say(bot, "org1", "现在")
    await say(bot, "org1", "不催")
    assert "已创建 #1" in await say(bot, "org1", "确认")
    edit = await say(bot, "org1", "/提醒 修改 1 对象 群:wecom:wrGroup")
    assert "组织员不能推送到群聊" in edit
    await _notice(bot, "admin1", "全体大会", "群:group-1", 2)


async def test_a_group_confirmer_later_pushed_to_personally_stays_confirmed(clocked):
    bot, clock = await clocked(local(2026, 11, 27, 10, 0))
    await _people(bot)
    await _notice(bot, "admin1", "理论学习会", "群:group-1", 1)
    await service_of(bot).tick()
    assert "已确认收到" in await say(bot, "zs", "收到", group=True)
    assert "将修改 #1" in await say(bot, "admin1", "/提醒 修改 1 对象 群:group-1 @zs @xz")
    assert "已修改 #1" in await say(bot, "admin1", "确认")
    clock.advance(timedelta(minutes=1))
    assert "共 3 位接收人" in await say(bot, "admin1", "/提醒 立即发送 1")
    report = await say(bot, "admin1", "/回执 1")
    assert "已确认 1/2，未确认 1" in report and "张三（zs）（11-27 10:00，群内）" in report
    assert "群内另有" not in report and "小组长（xz）" in report
    async with bot.db() as session:
        row = await session.get(Receipt, (1, "zs"))
        assert row is not None and row.notified_at is not None and row.confirmed_via == "群:terminal:group-1"
