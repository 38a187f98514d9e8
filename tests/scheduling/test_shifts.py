"""Where a push goes when its day is a holiday or its hour is quiet (issue 11, items 4, 6, 7).

Regression cases from the issue, each on the calendar as published for 2026 (chinese-calendar)
and, for 2027, only the holidays whose dates never change.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from bot.scheduling.rules import Policy, Rule, describe_fire, next_fires, plan
from bot.scheduling.workdays import WorkCalendar
from tests.scheduling.conftest import local

POLICY = Policy(tz=ZoneInfo("Asia/Shanghai"))


def days(fires, policy=POLICY):
    return [f.at.astimezone(policy.tz).strftime("%Y-%m-%d %H:%M") for f in fires]


def test_last_workday_at_22_is_sent_before_quiet_hours_not_on_a_holiday_or_saturday():
    fires = next_fires(Rule("calendar", day="last_workday", time="22:00"), POLICY, local(2026, 4, 1), 5)
    assert days(fires) == [
        "2026-04-30 20:30",
        "2026-05-29 20:30",
        "2026-06-30 20:30",
        "2026-07-31 20:30",
        "2026-08-31 20:30",
    ]
    assert all(POLICY.calendar.is_workday(f.at.astimezone(POLICY.tz).date()) for f in fires)
    assert "22:00 在免打扰时段" in describe_fire(fires[0], POLICY)


def test_friday_evening_push_stays_on_friday_and_notes_say_what_was_done():
    fires = next_fires(Rule("cron", cron="30 21 * * 5"), POLICY, local(2026, 9, 26), 3)
    assert days(fires) == ["2026-09-30 20:30", "2026-10-10 08:00", "2026-10-16 20:30"]
    note = describe_fire(fires[0], POLICY)
    assert note.startswith("2026-09-30 周三 20:30〔10-02 为国庆节，已提前〕") and "已提前到 20:30" in note


def test_weekly_monday_gives_one_push_per_week_or_the_preview_says_why():
    result = plan(Rule("cron", cron="0 9 * * 1"), POLICY, local(2026, 2, 1), 5)
    assert days(result.fires) == [
        "2026-02-02 09:00",
        "2026-02-09 09:00",
        "2026-02-24 09:00",
        "2026-03-02 09:00",
        "2026-03-09 09:00",
    ]
    assert [f.skipped for f in result.skipped] == ["02-16 为春节，本周没有可改发的工作日"]
    national = next_fires(Rule("cron", cron="0 9 * * 1"), POLICY, local(2026, 9, 27), 3)
    assert days(national) == ["2026-09-28 09:00", "2026-10-08 09:00", "2026-10-12 09:00"]


def test_ladder_rung_on_a_holiday_goes_to_the_nearer_workday_and_says_so():
    rule = Rule("once", at="2026-02-28T17:00", deadline=True, ladder=(7, 3, 1, 0))
    fires = next_fires(rule, POLICY, local(2026, 2, 1), 5)
    assert days(fires) == ["2026-02-24 09:00", "2026-02-25 09:00", "2026-02-27 09:00", "2026-02-28 09:00"]
    assert "（截止前 4 天）〔02-21 为春节，已顺延〕" in describe_fire(fires[0], POLICY)


def test_fixed_date_holidays_hold_in_years_not_yet_announced():
    cal = WorkCalendar()
    assert not cal.knows_year(2027)
    for day in (date(2027, 1, 1), date(2027, 5, 1), date(2027, 10, 1), date(2027, 10, 2), date(2027, 10, 3)):
        assert not cal.is_workday(day), day
    assert cal.holiday_name(date(2027, 1, 1)) == "元旦"
    fires = next_fires(Rule("once", at="2027-01-01T10:00"), POLICY, local(2026, 12, 1), 1)
    assert days(fires) == ["2026-12-31 10:00"]
    # Told that 2027-01-01 is a workday after all (a config override), it is one.
    told = WorkCalendar(extra_workdays=frozenset({date(2027, 1, 1)}))
    assert told.is_workday(date(2027, 1, 1))
