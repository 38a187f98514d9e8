"""Reminders.listing_page (the console's lists) is listing() cut in SQL: the same schedules, in the same
order, for every actor, page size and mix of owners and states."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.access import Access
from bot.roles import Role
from bot.scheduling.actor import Actor
from bot.scheduling.reminders import NewReminder, ScheduleRef
from tests.conftest import add_staff
from tests.scheduling.conftest import local

ADMIN = Actor(Access("admin1", Role.ADMIN), "console")
ORG = Actor(Access("org1", Role.ORGANIZER, unit_scope="U01"), "console")
WHENS = ("每周一 9:00", "每月最后一个工作日 16:00", "明天上午9点", "每季度第一个月5日前")


@settings(max_examples=8, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    made=st.lists(st.tuples(st.booleans(), st.sampled_from(WHENS), st.sampled_from(["active", "paused"])), max_size=9),
    size=st.integers(min_value=1, max_value=4),
)
async def test_pages_of_listing_page_are_listing(clocked, made, size):
    bot, _ = await clocked(local(2026, 3, 2, 10, 0))
    await add_staff(bot, "admin1", "王书记", "admin")
    await add_staff(bot, "org1", "李组织", "organizer", unit="U01")
    await add_staff(bot, "zs", "张三", unit="U01")
    reminders = bot.scheduling.reminders
    for i, (by_org, when, state) in enumerate(made):
        created = await reminders.create(
            NewReminder(ORG if by_org else ADMIN, "@zs", when, name=f"提醒{i}", holidays="keep")
        )
        if state == "paused":
            await reminders.pause(ScheduleRef(ADMIN, created.schedule.id))
    for actor in (ADMIN, ORG):
        whole = await reminders.listing(actor)
        pages, total, offset = [], None, 0
        while True:
            page, total = await reminders.listing_page(actor, offset=offset, limit=size)
            pages += page
            if len(page) < size:
                break
            offset += size
        assert total == len(whole)
        assert [(p.schedule.id, p.next_at) for p in pages] == [(w.schedule.id, w.next_at) for w in whole]
        soon = bot.clock.now() + timedelta(days=40)
        due, due_total = await reminders.listing_page(actor, due_before=soon, limit=100)
        expected = sorted(
            (
                w
                for w in whole
                if w.schedule.status == "active" and w.schedule.next_fire_at and w.schedule.next_fire_at < soon
            ),
            key=lambda w: (w.schedule.next_fire_at, w.schedule.id),
        )
        assert [d.schedule.id for d in due] == [e.schedule.id for e in expected] and due_total == len(expected)
