"""The outbox: retries with backoff, permanent failures kept visible, retry on demand, no second copy."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web
from sqlalchemy import func, select

from bot.channels.base import DeliveryError
from bot.messages import Outgoing
from bot.scheduling import outbox
from bot.scheduling import schedules as sched
from bot.scheduling.models import OutboxRow
from bot.scheduling.rules import Fire, Rule
from bot.scheduling.service import expand_fire, run_now
from bot.scheduling.targets import TargetSpec
from tests.conftest import add_staff
from tests.scheduling.conftest import inbox, local, service_of


class ScriptedChannel:
    """An IM channel whose platform answers from a script: errors first, then success."""

    name = "wecom"

    def __init__(self, errors: list[DeliveryError] | None = None) -> None:
        self.errors = list(errors or [])
        self.delivered: list[Outgoing] = []
        self.calls = 0

    def routes(self) -> list[web.RouteDef]:
        return []

    async def start(self, bot) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, message: Outgoing) -> None:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        self.delivered.append(message)


async def _reminder(bot, at: str, targets: list[TargetSpec], urgent: bool = False) -> int:
    service = service_of(bot)
    draft = sched.ScheduleDraft("材料报送", "请于周五前报送", Rule("once", at=at, shift="none"), targets, urgent=urgent)
    async with bot.db() as session, session.begin():
        schedule = await sched.create(session, draft, "admin1", bot.clock.now(), service.policy)
    return schedule.id


async def _rows(bot) -> list[OutboxRow]:
    async with bot.db() as session:
        return list(await session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


async def test_transient_failures_back_off_then_succeed_once(clocked):
    channel = ScriptedChannel([DeliveryError("platform busy"), DeliveryError("rate limited", retry_after=120)])
    bot, clock = await clocked(local(2026, 12, 1, 9, 0), [channel])
    await add_staff(bot, "zs", "张三", im=(("wecom", "ZhangSan"),))
    await _reminder(bot, "2026-12-01T10:00", [TargetSpec("user", "zs")])
    service = service_of(bot)

    clock.set(local(2026, 12, 1, 10, 0))
    await service.tick()
    [row] = await _rows(bot)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "platform busy")
    assert row.next_attempt_at == clock.now() + timedelta(seconds=30)

    clock.advance(timedelta(seconds=29))
    await service.tick()
    assert channel.calls == 1
    clock.advance(timedelta(seconds=1))
    await service.tick()
    [row] = await _rows(bot)
    assert row.attempts == 2 and row.next_attempt_at == clock.now() + timedelta(seconds=120), "retry_after wins"

    clock.advance(timedelta(seconds=120))
    await service.tick()
    await service.tick()
    [row] = await _rows(bot)
    assert row.status == "sent" and channel.calls == 3
    assert [m.target.user_id for m in channel.delivered] == ["ZhangSan"]
    assert await inbox(bot, "zs") == [], "reached on their IM, not the local inbox"


async def test_permanent_failure_is_kept_visible_and_can_be_retried(clocked):
    channel = ScriptedChannel([DeliveryError("user left the company", permanent=True)])
    bot, clock = await clocked(local(2026, 12, 1, 9, 0), [channel])
    await add_staff(bot, "zs", "张三", im=(("wecom", "ZhangSan"),))
    await _reminder(bot, "2026-12-01T10:00", [TargetSpec("user", "zs")])
    clock.set(local(2026, 12, 1, 10, 0))
    await service_of(bot).tick()
    async with bot.db() as session:
        failed = await outbox.list_rows(session, ["failed"])
    assert len(failed) == 1 and failed[0].last_error == "user left the company"
    await service_of(bot).tick()
    assert channel.calls == 1

    async with bot.db() as session, session.begin():
        assert await outbox.retry(session, clock.now()) == 1
    await service_of(bot).tick()
    assert [r.status for r in await _rows(bot)] == ["sent"] and len(channel.delivered) == 1


async def test_gives_up_after_max_attempts(clocked):
    channel = ScriptedChannel([DeliveryError("down")] * 10)
    bot, clock = await clocked(local(2026, 12, 1, 9, 0), [channel], ORGBOT_OUTBOX_MAX_ATTEMPTS="3")
    await add_staff(bot, "zs", "张三", im=(("wecom", "ZhangSan"),))
    await _reminder(bot, "2026-12-01T10:00", [TargetSpec("user", "zs")])
    clock.set(local(2026, 12, 1, 10, 0))
    for _ in range(6):
        await service_of(bot).tick()
        clock.advance(timedelta(hours=1))
    [row] = await _rows(bot)
    assert (row.status, row.attempts, channel.calls) == ("failed", 3, 3)


async def test_same_fire_queued_twice_gives_one_copy(clocked):
    bot, clock = await clocked(local(2026, 12, 1, 9, 0))
    await add_staff(bot, "zs", "张三")
    target = [TargetSpec("user", "zs"), TargetSpec("user", "zs")]
    schedule_id = await _reminder(bot, "2026-12-01T10:00", target)
    service = service_of(bot)
    fire = Fire(local(2026, 12, 1, 10, 0), "")
    for _ in range(2):
        async with bot.db() as session, session.begin():
            schedule = await sched.get(session, schedule_id)
            await expand_fire(session, schedule, fire, clock.now(), service.policy, ["local"])
    async with bot.db() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxRow)) == 1
    await service.tick()
    assert len(await inbox(bot, "zs")) == 1


async def test_quiet_hours_hold_pushes_until_morning_but_not_urgent_ones(clocked):
    bot, clock = await clocked(local(2026, 12, 1, 20, 0))
    await add_staff(bot, "zs", "张三")
    normal = await _reminder(bot, "2026-12-10T10:00", [TargetSpec("user", "zs")])
    urgent = await _reminder(bot, "2026-12-10T10:00", [TargetSpec("user", "zs")], urgent=True)
    service = service_of(bot)

    clock.set(local(2026, 12, 1, 22, 0))
    await run_now(bot, service.policy, normal, "admin1")
    await run_now(bot, service.policy, urgent, "admin1")
    await service.tick()
    assert len(await inbox(bot, "zs")) == 1

    clock.set(local(2026, 12, 2, 7, 59))
    await service.tick()
    assert await inbox(bot, "zs") == []
    clock.set(local(2026, 12, 2, 8, 0))
    await service.tick()
    assert len(await inbox(bot, "zs")) == 1


def test_push_key_is_the_same_for_one_instant_in_any_zone():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from bot.scheduling.outbox import push_key

    shanghai = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    utc = shanghai.astimezone(ZoneInfo("UTC"))
    assert push_key(7, shanghai, "local:u:a") == push_key(7, utc, "local:u:a")
    assert push_key(7, shanghai, "local:u:a") != push_key(7, shanghai.replace(minute=1), "local:u:a")
