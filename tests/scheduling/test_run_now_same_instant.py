"""立即发送 at the very instant the schedule fires on its own: merged, one copy each, never an error."""

from __future__ import annotations

from sqlalchemy import select

from bot.scheduling import schedules as sched
from bot.scheduling.models import OutboxRow, Schedule, ScheduleFire
from bot.scheduling.rules import Rule
from bot.scheduling.service import run_now
from bot.scheduling.targets import TargetSpec
from tests.conftest import add_staff, say
from tests.scheduling.conftest import inbox, local, service_of


async def _create(bot, at: str) -> int:
    draft = sched.ScheduleDraft("党费收缴", "请按时缴纳党费", Rule("once", at=at), [TargetSpec("unit", "U01")])
    async with bot.db() as session, session.begin():
        schedule = await sched.create(session, draft, "admin1", bot.clock.now(), service_of(bot).policy)
    return schedule.id


async def _fires(bot, schedule_id: int) -> list[str]:
    async with bot.db() as session:
        return list(
            await session.scalars(
                select(ScheduleFire.outcome).where(ScheduleFire.schedule_id == schedule_id).order_by(ScheduleFire.id)
            )
        )


async def test_run_now_right_as_the_schedule_fires_is_merged_with_it(clocked):
    bot, clock = await clocked(local(2026, 12, 1, 8, 0))
    await add_staff(bot, "admin1", "王书记", "admin")
    await add_staff(bot, "zs", "张三", unit="U01")
    await add_staff(bot, "ls", "李四", unit="U01")
    schedule_id = await _create(bot, "2026-12-01T09:00")

    clock.set(local(2026, 12, 1, 9, 0))
    await service_of(bot).fire_due()  # the regular fire, at 09:00:00 exactly
    reply = await say(bot, "admin1", f"/提醒 立即发送 {schedule_id}")  # and 立即发送 at the same instant
    assert "合并" in reply and "只收到一份" in reply, reply
    assert "出错" not in reply, reply

    await service_of(bot).tick()
    assert await inbox(bot, "zs") == ["【提醒】党费收缴\n请按时缴纳党费"]
    assert await inbox(bot, "ls") == ["【提醒】党费收缴\n请按时缴纳党费"]
    assert await _fires(bot, schedule_id) == ["sent"]


async def test_regular_fire_right_after_a_run_now_at_the_same_instant_is_merged_and_moves_on(clocked):
    bot, clock = await clocked(local(2026, 12, 1, 8, 0))
    await add_staff(bot, "zs", "张三", unit="U01")
    schedule_id = await _create(bot, "2026-12-01T09:00")
    service = service_of(bot)

    clock.set(local(2026, 12, 1, 9, 0))
    result = await run_now(bot, service.policy, schedule_id, "admin1")
    assert result.recipients == 1 and not result.merged
    fired, missed = await service.fire_due()  # the regular fire finds the run-now at its own instant
    assert (fired, missed) == (1, 0)
    await service.tick()
    assert await inbox(bot, "zs") == ["【提醒】党费收缴\n请按时缴纳党费"]
    async with bot.db() as session:
        schedule = await session.get(Schedule, schedule_id)
        assert schedule is not None and schedule.status == "done" and schedule.next_fire_at is None
        assert await session.scalar(select(OutboxRow.status)) == "sent"
    assert await _fires(bot, schedule_id) == ["sent"]


async def test_two_run_nows_at_the_same_instant_send_once(clocked):
    bot, _clock = await clocked(local(2026, 12, 1, 8, 0))
    await add_staff(bot, "zs", "张三", unit="U01")
    schedule_id = await _create(bot, "2026-12-05T09:00")
    service = service_of(bot)

    first = await run_now(bot, service.policy, schedule_id, "admin1")
    second = await run_now(bot, service.policy, schedule_id, "cli:admin")
    assert (first.merged, second.merged) == (False, True)
    await service.tick()
    assert len(await inbox(bot, "zs")) == 1
