"""The service over time: late within grace, reported beyond it, pause kept across restarts, orphans resent."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.scheduling import schedules as sched
from bot.scheduling.models import OutboxRow, ScheduleChange, ScheduleFire
from bot.scheduling.rules import Rule
from bot.scheduling.targets import TargetSpec
from tests.conftest import add_staff, say
from tests.scheduling.conftest import inbox, local, service_of


async def _create(bot, rule: Rule, targets: list[TargetSpec], name: str = "党费收缴") -> int:
    draft = sched.ScheduleDraft(name, "请按时缴纳党费", rule, targets)
    async with bot.db() as session, session.begin():
        schedule = await sched.create(session, draft, "admin1", bot.clock.now(), service_of(bot).policy)
    return schedule.id


async def test_push_missed_while_down_is_sent_late_within_grace_and_reported_beyond(clocked):
    bot, clock = await clocked(local(2026, 12, 1, 8, 0), ORGBOT_SCHEDULER_GRACE_MINUTES="60")
    await add_staff(bot, "admin1", "王书记", "admin")
    await add_staff(bot, "zs", "张三")
    late = await _create(bot, Rule("once", at="2026-12-01T09:00"), [TargetSpec("user", "zs")], "按时")
    lost = await _create(bot, Rule("once", at="2026-12-01T08:30"), [TargetSpec("user", "zs")], "过期")

    clock.set(local(2026, 12, 1, 9, 45))
    await service_of(bot).tick()
    got = await inbox(bot, "zs")
    # Sent late within the grace period, and saying so (issue 11, item 10).
    assert got == [
        "【提醒】按时\n请按时缴纳党费\n（本条原定 2026年12月1日（周二） 09:00 发送，因服务中断晚发 45 分钟。）"
    ]
    report = await inbox(bot, "admin1")
    assert len(report) == 1 and "【定时推送未发送】" in report[0] and f"#{lost} 过期" in report[0]
    async with bot.db() as session:
        outcomes = dict((await session.execute(select(ScheduleFire.schedule_id, ScheduleFire.outcome))).all())
    assert outcomes == {late: "sent", lost: "missed"}


async def test_paused_schedule_stays_paused_across_restart(clocked, make_bot):
    bot, clock = await clocked(local(2026, 12, 1, 8, 0))
    await add_staff(bot, "admin1", "王书记", "admin")
    await add_staff(bot, "zs", "张三")
    schedule_id = await _create(bot, Rule("calendar", day="last_workday", time="16:00"), [TargetSpec("user", "zs")])
    assert "已暂停" in await say(bot, "admin1", f"/提醒 暂停 {schedule_id}")
    await bot.stop()

    restarted = await make_bot(clock=clock)
    clock.set(local(2026, 12, 31, 16, 0))
    await service_of(restarted).tick()
    assert await inbox(restarted, "zs") == []
    reply = await say(restarted, "admin1", f"/提醒 恢复 {schedule_id}")
    assert "2027-01-29 周五 16:00" in reply and "错过的发送不会补发" in reply
    async with restarted.db() as session:
        actions = [
            (c.actor, c.action) for c in await session.scalars(select(ScheduleChange).order_by(ScheduleChange.id))
        ]
    assert actions == [("admin1", "create"), ("admin1", "pause"), ("admin1", "resume")]


async def test_rows_left_mid_send_by_a_dead_process_are_sent_once_after_restart(clocked, make_bot):
    bot, clock = await clocked(local(2026, 12, 1, 8, 0))
    for i in range(30):
        await add_staff(bot, f"u{i:02d}", f"人员{i}", unit="U01")
    await _create(bot, Rule("once", at="2026-12-01T09:00"), [TargetSpec("unit", "U01")])
    clock.set(local(2026, 12, 1, 9, 0))
    service = service_of(bot)
    await service.fire_due()
    claimed = await service.sender.claim(limit=10)
    assert len(claimed) == 10
    await service.sender.send_rows(claimed[:4])
    await bot.stop()  # the other six stay "sending", claimed by a process that is gone

    restarted = await make_bot(clock=clock)
    await service_of(restarted).tick()
    for i in range(30):
        assert len(await inbox(restarted, f"u{i:02d}")) == 1, i
    async with restarted.db() as session:
        statuses = set(await session.scalars(select(OutboxRow.status)))
    assert statuses == {"sent"}


async def test_units_and_roles_are_expanded_when_sent_not_when_created(clocked):
    bot, clock = await clocked(local(2026, 12, 1, 8, 0))
    await add_staff(bot, "zs", "张三", unit="U01")
    await _create(bot, Rule("once", at="2026-12-01T09:00"), [TargetSpec("unit", "U01")])
    await add_staff(bot, "newbie", "新同志", unit="U01")
    clock.set(local(2026, 12, 1, 9, 0))
    await service_of(bot).tick()
    assert len(await inbox(bot, "newbie")) == 1 and len(await inbox(bot, "zs")) == 1


async def test_recurring_reminder_by_chat_asks_for_the_time_then_fires_each_month(clocked):
    bot, clock = await clocked(local(2026, 11, 28, 10, 0))
    await add_staff(bot, "admin1", "王书记", "admin")
    await add_staff(bot, "zs", "张三", unit="U01")
    await say(bot, "admin1", "/提醒 新建")
    await say(bot, "admin1", "三会一课记录上传")
    assert "几点推送" in await say(bot, "admin1", "每月最后一个工作日")
    assert "发给谁" in await say(bot, "admin1", "下午4点")
    assert "找不到人员“张四”" in await say(bot, "admin1", "张四")
    assert "正文" in await say(bot, "admin1", "单位:U01")
    reply = await say(bot, "admin1", "请上传本月会议记录")
    assert "每月最后一个工作日 16:00" in reply
    assert "2026-11-30 周一 16:00" in reply and "2026-12-31 周四 16:00" in reply
    assert "已创建 #1" in await say(bot, "admin1", "确认")
    service = service_of(bot)
    for day in ((2026, 11, 30), (2026, 12, 31)):
        clock.set(local(*day, 16, 0))
        await service.tick()
        assert await inbox(bot, "zs") == ["【提醒】三会一课记录上传\n请上传本月会议记录"]
    listing = await say(bot, "admin1", "/提醒 列表")
    assert "#1 三会一课记录上传 · 定期推送 · 下次 01-29 16:00" in listing


async def test_delete_asks_first_then_cancels_queued_pushes(clocked):
    bot, clock = await clocked(local(2026, 12, 1, 8, 0))
    await add_staff(bot, "admin1", "王书记", "admin")
    await add_staff(bot, "zs", "张三")
    schedule_id = await _create(bot, Rule("once", at="2026-12-01T09:00"), [TargetSpec("user", "zs")])
    clock.set(local(2026, 12, 1, 9, 0))
    await service_of(bot).fire_due()
    assert "确认删除" in await say(bot, "admin1", f"/提醒 删除 {schedule_id}")
    assert "取消了 1 条未发出的推送" in await say(bot, "admin1", "确认")
    await service_of(bot).tick()
    assert await inbox(bot, "zs") == []
    assert "没有编号为" in await say(bot, "admin1", f"/提醒 查看 {schedule_id}")


async def test_organizer_manages_only_own_schedules_and_staff_cannot_at_all(clocked):
    bot, _ = await clocked(local(2026, 12, 1, 8, 0))
    await add_staff(bot, "admin1", "王书记", "admin")
    await add_staff(bot, "org1", "李组织", "organizer", unit="U01")
    await add_staff(bot, "zs", "张三")
    schedule_id = await _create(bot, Rule("once", at="2026-12-01T09:00"), [TargetSpec("user", "zs")])
    assert "组织员只能管理自己创建的提醒" in await say(bot, "org1", f"/提醒 暂停 {schedule_id}")
    assert "需要组织员权限" in await say(bot, "zs", "/提醒 列表")
    async with bot.db() as session:
        assert (await session.execute(select(ScheduleChange.action))).scalars().all() == ["create"]


async def test_edit_in_chat_changes_the_time_shows_the_preview_and_is_recorded(clocked):
    bot, clock = await clocked(local(2026, 11, 28, 10, 0))
    await add_staff(bot, "admin1", "王书记", "admin")
    await add_staff(bot, "zs", "张三")
    schedule_id = await _create(bot, Rule("once", at="2026-12-03T10:00"), [TargetSpec("user", "zs")])
    reply = await say(bot, "admin1", f"/提醒 修改 {schedule_id} 时间 每月20日前")
    # Previewed, not applied: the change of kind (one-off → monthly deadline) is said (issue 11, item 11).
    assert "已修改" not in reply and "2026-12-18 周五 09:00（截止前 2 天）" in reply
    assert "规则：2026-12-03 10:00 → 每月20日 截止" in reply
    assert "注意：类型将由一次性提醒（一次性）变为截止提醒（重复）" in reply
    async with bot.db() as session:
        assert (await session.execute(select(ScheduleChange.action))).scalars().all() == ["create"]
    assert "没有修改" in await say(bot, "admin1", "算了")
    await say(bot, "admin1", f"/提醒 修改 {schedule_id} 时间 每月20日前")
    assert "已修改" in await say(bot, "admin1", "确认")
    assert "上午 3 点还是下午 3 点" in await say(bot, "admin1", f"/提醒 修改 {schedule_id} 时间 下周三3点")
    assert "对象：张三（zs） → " in await say(bot, "admin1", f"/提醒 修改 {schedule_id} 对象 群:local:branch-chat")
    assert "已修改" in await say(bot, "admin1", "确认")
    clock.set(local(2026, 12, 18, 9, 0))
    await service_of(bot).tick()
    assert await inbox(bot, "zs") == []
    pushed = await inbox(bot, "branch-chat")
    assert len(pushed) == 1 and "截止日期：2026年12月20日（周日），还有 2 天" in pushed[0]
    async with bot.db() as session:
        changes = list(await session.scalars(select(ScheduleChange).order_by(ScheduleChange.id)))
    assert [c.action for c in changes] == ["create", "edit", "edit"]
    assert '"targets"' in changes[2].detail and "rule" not in changes[2].detail


async def test_a_broken_schedule_is_reported_and_does_not_block_the_others(clocked):
    bot, clock = await clocked(local(2026, 12, 1, 8, 0))
    await add_staff(bot, "admin1", "王书记", "admin")
    await add_staff(bot, "zs", "张三")
    broken = await _create(bot, Rule("once", at="2026-12-01T09:00"), [TargetSpec("user", "zs")], "坏的")
    await _create(bot, Rule("once", at="2026-12-01T09:00"), [TargetSpec("user", "zs")], "好的")
    from bot.scheduling.models import Schedule

    async with bot.db() as session, session.begin():
        await session.execute(update(Schedule).where(Schedule.id == broken).values(targets="{not json"))
    clock.set(local(2026, 12, 1, 9, 0))
    await service_of(bot).tick()
    assert await inbox(bot, "zs") == ["【提醒】好的\n请按时缴纳党费"]
    [report] = await inbox(bot, "admin1")
    assert f"#{broken} 坏的" in report
    async with bot.db() as session:
        outcome = await session.scalar(select(ScheduleFire.outcome).where(ScheduleFire.schedule_id == broken))
    assert outcome == "error"
