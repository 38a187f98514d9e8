"""定时提醒 › 月历: holidays, 调休 workdays and the pushes of the schedules this person manages."""

from __future__ import annotations

import calendar as month_grid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from aiohttp import web

from bot.console.routes import RouteTable
from bot.console.visit import Visit
from bot.scheduling import planner
from bot.scheduling.actor import Actor

routes = RouteTable()

# A month shows the pushes of at most this many schedules (the earliest due first).
MAX_SCHEDULES = 300
MAX_PER_SCHEDULE = 31


@dataclass
class Day:
    day: date
    in_month: bool
    holiday: str = ""  # 国庆节, 周末 … ("" on a workday)
    swapped: bool = False  # a weekend day that is a workday (调休)
    pushes: list[tuple[str, int, str]] = field(default_factory=list)  # (HH:MM, schedule id, name)


def _month(v: Visit) -> date:
    raw = v.field("month")
    today = v.now().astimezone(v.tz).date()
    try:
        year, month = (int(x) for x in raw.split("-", 1))
        return date(year, month, 1) if 2000 <= year <= 2100 else today.replace(day=1)
    except ValueError:
        return today.replace(day=1)


@routes.get("/schedules/calendar")
async def month_calendar(v: Visit) -> web.StreamResponse:
    first = _month(v)
    policy = v.bot.scheduling.policy
    cal = policy.calendar
    start = datetime.combine(first, time.min, tzinfo=v.tz)
    nxt = (first + timedelta(days=32)).replace(day=1)
    end = datetime.combine(nxt, time.min, tzinfo=v.tz)
    weeks = [
        [Day(d, d.month == first.month, cal.holiday_name(d), d.weekday() >= 5 and cal.is_workday(d)) for d in week]
        for week in month_grid.Calendar().monthdatescalendar(first.year, first.month)
    ]
    by_day = {d.day: d for week in weeks for d in week}
    listed = await v.bot.scheduling.reminders.listing(Actor(v.access, "console"))
    due = sorted((x for x in listed if x.next_at is not None and x.next_at < end), key=lambda x: x.next_at)  # type: ignore[arg-type, return-value]
    after = max(start, v.now()) - timedelta(seconds=1)
    async with v.bot.db() as session:
        for item in due[:MAX_SCHEDULES]:
            fired = await planner.fired_keys(session, item.schedule, after)
            for fire in planner.plan_of(item.schedule, policy, after, fired, MAX_PER_SCHEDULE).fires:
                if fire.at >= end:
                    break
                local = fire.at.astimezone(v.tz)
                if local.date() in by_day:
                    by_day[local.date()].pushes.append((f"{local:%H:%M}", item.schedule.id, item.schedule.name))
    prev = (first - timedelta(days=1)).replace(day=1)
    return v.render(
        "calendar.html",
        first=first,
        weeks=weeks,
        prev=f"{prev:%Y-%m}",
        next=f"{nxt:%Y-%m}",
        truncated=len(due) > MAX_SCHEDULES,
        known=cal.knows_year(first.year),
    )
