"""A configuration change between creating a schedule and its firing (issue 11, items 1 and 3).

Each occurrence fires once whatever quiet hours or holidays do to its time; the list, the
preview and what is sent agree after the change, and the push keeps its deadline line.
"""

from __future__ import annotations

from sqlalchemy import func, select

from bot.scheduling import schedules as sched
from bot.scheduling.models import OutboxRow, ScheduleFire
from bot.scheduling.rules import Rule
from bot.scheduling.targets import TargetSpec
from tests.conftest import add_staff, say
from tests.scheduling.conftest import inbox, local, service_of

QUIET_OFF = {"ORGBOT_SCHEDULER_QUIET_START": "00:00", "ORGBOT_SCHEDULER_QUIET_END": "00:00"}
QUIET_EVENING = {"ORGBOT_SCHEDULER_QUIET_START": "18:00", "ORGBOT_SCHEDULER_QUIET_END": "23:30"}


async def _create(bot, rule: Rule, name: str = "报送材料", text: str = "请按时报送") -> int:
    draft = sched.ScheduleDraft(name, text, rule, [TargetSpec("user", "zs")])
    async with bot.db() as session, session.begin():
        schedule = await sched.create(session, draft, "admin1", bot.clock.now(), service_of(bot).policy)
    return schedule.id


async def _counts(bot) -> tuple[int, int]:
    async with bot.db() as session:
        fires = await session.scalar(select(func.count()).select_from(ScheduleFire))
        rows = await session.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.user_id == "zs"))
    return fires or 0, rows or 0


async def test_one_off_fired_then_quiet_hours_switched_on_is_not_sent_again(clocked, make_bot):
    bot, clock = await clocked(local(2026, 12, 1, 10, 0), **QUIET_OFF)
    await add_staff(bot, "zs", "张三")
    await _create(bot, Rule("once", at="2026-12-01T19:05"))
    clock.set(local(2026, 12, 1, 19, 5))
    await service_of(bot).tick()
    assert len(await inbox(bot, "zs")) == 1
    await bot.stop()

    restarted = await make_bot(clock=clock, **QUIET_EVENING)
    for hh, mm in ((19, 6), (23, 30), (23, 31)):
        clock.set(local(2026, 12, 1, hh, mm))
        await service_of(restarted).tick()
    clock.set(local(2026, 12, 2, 9, 0))
    await service_of(restarted).tick()
    assert await inbox(restarted, "zs") == []
    assert await _counts(restarted) == (1, 1)
    async with restarted.db() as session:
        schedule = await sched.get(session, 1)
    assert schedule.status == "done" and schedule.next_fire_at is None


async def test_one_off_created_without_quiet_hours_then_started_with_them_fires_once_at_their_end(clocked, make_bot):
    bot, clock = await clocked(local(2026, 12, 1, 10, 0), **QUIET_OFF)
    await add_staff(bot, "admin1", "王书记", "admin")
    await add_staff(bot, "zs", "张三")
    await _create(bot, Rule("once", at="2026-12-01T19:05"))
    await bot.stop()

    restarted = await make_bot(clock=clock, **QUIET_EVENING)
    service = service_of(restarted)
    listed = await say(restarted, "admin1", "/提醒 列表")
    assert "下次 12-01 23:30" in listed
    for hh, mm in ((19, 5), (19, 6), (23, 30), (23, 31)):
        clock.set(local(2026, 12, 1, hh, mm))
        await service.tick()
    clock.set(local(2026, 12, 2, 23, 30))
    await service.tick()
    assert len(await inbox(restarted, "zs")) == 1
    assert await _counts(restarted) == (1, 1)


async def test_extra_holiday_added_after_creation_moves_list_preview_and_send_together(clocked, make_bot):
    bot, clock = await clocked(local(2026, 12, 20, 10, 0))
    await add_staff(bot, "admin1", "王书记", "admin")
    await add_staff(bot, "zs", "张三")
    rule = Rule("once", at="2027-01-08T17:00", deadline=True, ladder=(3, 1, 0))
    await _create(bot, rule, name="年度考核")
    assert "下次 01-05 09:00" in await say(bot, "admin1", "/提醒 列表")
    await bot.stop()

    restarted = await make_bot(clock=clock, ORGBOT_SCHEDULER_EXTRA_HOLIDAYS="2027-01-05")
    listed = await say(restarted, "admin1", "/提醒 列表")
    shown = await say(restarted, "admin1", "/提醒 查看 1")
    assert "下次 01-04 09:00" in listed
    assert "1. 2027-01-04 周一 09:00（截止前 4 天）〔01-05 为节假日，已提前〕" in shown
    service = service_of(restarted)
    await service.tick()  # the new leader recomputes the stored fire
    for day in (4, 5, 6):
        clock.set(local(2027, 1, day, 9, 0))
        await service.tick()
        got = await inbox(restarted, "zs")
        if day == 4:
            assert got == ["【截止提醒】年度考核\n截止日期：2027年1月8日（周五），还有 4 天。\n请按时报送"]
        else:
            assert got == []
