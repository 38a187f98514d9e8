"""Hypothesis strategies for the scheduling property tests: rules, policies, moments, 2026–2027.

CI runs a bounded, derandomized number of examples; a release check raises it:

    ORGBOT_PROPERTY_EXAMPLES=3000 python -m pytest tests/scheduling/test_properties.py
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from bot.scheduling.rules import Policy, Rule
from bot.scheduling.workdays import WorkCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRST = datetime(2026, 1, 1, tzinfo=SHANGHAI)
LAST = datetime(2027, 12, 31, 23, 59, tzinfo=SHANGHAI)
EXAMPLES = int(os.environ.get("ORGBOT_PROPERTY_EXAMPLES", "150"))

PROPERTY_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

QUIET = [(time(21), time(8)), (time(0), time(0)), (time(18), time(23, 30)), (time(22), time(7)), (time(12), time(14))]
# 2027 dates an admin might configure: 春节 2027 (02-06…02-12), a lone day, or nothing.
EXTRA_2027 = [
    (),
    (date(2027, 1, 5),),
    tuple(date(2027, 2, d) for d in range(6, 13)),
    (date(2027, 6, 14), date(2027, 9, 15)),
]


def hhmm() -> st.SearchStrategy[str]:
    return st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.sampled_from([0, 5, 15, 30, 45, 59]))


def moments(first: datetime = FIRST, last: datetime = LAST) -> st.SearchStrategy[datetime]:
    span = int((last - first).total_seconds() // 60)
    return st.integers(0, span).map(lambda m: (first + timedelta(minutes=m)).astimezone(UTC))


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    quiet_start, quiet_end = draw(st.sampled_from(QUIET))
    extra = draw(st.sampled_from(EXTRA_2027))
    workdays = draw(st.sampled_from([(), (date(2027, 2, 20),)]))
    return Policy(
        tz=SHANGHAI,
        calendar=WorkCalendar(extra_holidays=frozenset(extra), extra_workdays=frozenset(workdays)),
        quiet_start=quiet_start,
        quiet_end=quiet_end,
    )


LADDERS = [(), (7, 3, 1, 0), (14, 7, 3, 1), (3, 1, 0), (1,), (0,)]


@st.composite
def rules(draw: st.DrawFn, shifts: tuple[str, ...] = ("previous", "next", "none")) -> Rule:
    kind = draw(st.sampled_from(["once", "notice", "deadline", "weekly", "daily", "monthly", "calendar_deadline"]))
    shift = draw(st.sampled_from(shifts))
    at = draw(moments()).astimezone(SHANGHAI).replace(tzinfo=None, second=0).isoformat(timespec="minutes")
    clock = draw(hhmm())
    if kind == "once":
        return Rule("once", at=at, shift=shift)
    if kind == "notice":
        # A meeting notice: sent at ``at``, the meeting days later, 催办 before it (sent as 照常).
        event = datetime.fromisoformat(at) + timedelta(days=draw(st.integers(1, 9)), hours=draw(st.integers(0, 8)))
        minutes = draw(st.sampled_from([0, 120, 1440, 2880]))
        return Rule(
            "once", at=at, event_at=event.isoformat(timespec="minutes"), rereminder_minutes=minutes, shift="none"
        )
    if kind == "deadline":
        ladder = draw(st.sampled_from(LADDERS[1:]))
        return Rule("once", at=at, deadline=True, ladder=ladder, ladder_time=clock, shift=shift)
    if kind == "weekly":
        hour, minute = clock.split(":")
        dow = draw(st.integers(0, 6))
        return Rule("cron", cron=f"{int(minute)} {int(hour)} * * {dow}", shift=shift)
    if kind == "daily":
        hour, minute = clock.split(":")
        return Rule("cron", cron=f"{int(minute)} {int(hour)} * * *", shift=shift)
    day = draw(
        st.sampled_from(["1", "5", "15", "20", "28", "31", "last", "last_workday", "first_workday", "workday:3"])
    )
    months = draw(st.sampled_from([(), (1, 4, 7, 10), (6,)]))
    if kind == "monthly":
        return Rule("calendar", months=months, day=day, time=clock, shift=shift)
    ladder = draw(st.sampled_from(LADDERS[1:]))
    return Rule("calendar", months=months, day=day, deadline=True, ladder=ladder, ladder_time=clock, shift=shift)
