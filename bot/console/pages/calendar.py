"""定时提醒 › 月历: holidays, 调休 workdays and the pushes of the schedules this person manages."""

from __future__ import annotations

import calendar as month_grid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from aiohttp import web

from bot.actor import Actor
from bot.console.routes import RouteTable
from bot.console.visit import Visit
from bot.scheduling import planner

routes = RouteTable()

# A month shows the next fire of at most MAX_LISTED schedules due in it (earliest first), and
# every fire of the month for the first FULL_PLANS of them: a plan costs a few milliseconds. Fires
# after now have not been sent yet, so no sent-fire lookup is needed (the detail page does that).
MAX_LISTED = 300
FULL_PLANS = 20
MAX_PER_SCHEDULE = 32


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
    listed, total = await v.bot.scheduling.reminders.listing_page(
        Actor(v.access, "console"), due_before=end, limit=MAX_LISTED
    )
    after = max(start, v.now()) - timedelta(seconds=1)
    seen: set[tuple[int, datetime]] = set()

    def put(schedule_id: int, name: str, at: datetime) -> None:
        local = at.astimezone(v.tz)
        if local.date() in by_day and (schedule_id, at) not in seen:
            seen.add((schedule_id, at))
            by_day[local.date()].pushes.append((f"{local:%H:%M}", schedule_id, name))

    for i, item in enumerate(listed):
        s = item.schedule
        if item.next_at is not None:
            put(s.id, s.name, item.next_at)
        if i >= FULL_PLANS:
            continue
        n = 4
        while True:  # ask for more fires only while the month is not covered yet
            fires = planner.plan_of(s, policy, after, set(), n).fires
            if len(fires) < n or fires[-1].at >= end or n >= MAX_PER_SCHEDULE:
                break
            n *= 2
        for fire in fires:
            if fire.at < end:
                put(s.id, s.name, fire.at)
    for day in by_day.values():
        day.pushes.sort()
    prev = (first - timedelta(days=1)).replace(day=1)
    return v.render(
        "calendar.html",
        first=first,
        weeks=weeks,
        prev=f"{prev:%Y-%m}",
        next=f"{nxt:%Y-%m}",
        total=total,
        planned=min(total, FULL_PLANS),
        known=cal.knows_year(first.year),
    )
