"""Fire times: calendar rules, holidays and make-up workdays, quiet hours, years the calendar lacks."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from bot.scheduling.rules import Policy, Rule, describe_fire, next_fires
from bot.scheduling.workdays import WorkCalendar
from tests.scheduling.conftest import local

POLICY = Policy(tz=ZoneInfo("Asia/Shanghai"))


def days(fires, policy=POLICY):
    return [f.at.astimezone(policy.tz).strftime("%Y-%m-%d %H:%M") for f in fires]


def test_last_workday_of_month_knows_national_day_and_new_year():
    rule = Rule("calendar", day="last_workday", time="16:00")
    fires = next_fires(rule, POLICY, local(2026, 9, 1), 4)
    assert days(fires) == ["2026-09-30 16:00", "2026-10-30 16:00", "2026-11-30 16:00", "2026-12-31 16:00"]


def test_make_up_workday_counts_as_a_workday():
    # 2026-10-10 is a Saturday worked in exchange for National Day.
    rule = Rule("cron", cron="0 9 * * *", workdays_only=True, shift="none")
    fires = next_fires(rule, POLICY, local(2026, 10, 7, 12), 3)
    assert days(fires) == ["2026-10-08 09:00", "2026-10-09 09:00", "2026-10-10 09:00"]


def test_cron_weekday_numbers_are_standard_crontab():
    monday = next_fires(Rule("cron", cron="0 10 * * 1", shift="none"), POLICY, local(2026, 11, 28), 1)
    assert days(monday) == ["2026-11-30 10:00"]


def test_ladder_moves_holiday_reminders_to_the_previous_workday_and_collapses_duplicates():
    rule = Rule("once", at="2026-10-08T17:30", deadline=True, ladder=(7, 3, 1, 0))
    fires = next_fires(rule, POLICY, local(2026, 9, 20), 10)
    assert days(fires) == ["2026-09-30 09:00", "2026-10-08 09:00"]
    assert "国庆节" in describe_fire(fires[0], POLICY) and "截止前 8 天" in describe_fire(fires[0], POLICY)


def test_shift_none_keeps_the_date():
    rule = Rule("once", at="2026-10-03T10:00", shift="none")
    assert days(next_fires(rule, POLICY, local(2026, 9, 20), 1)) == ["2026-10-03 10:00"]


def test_quiet_hours_hold_a_push_until_morning_unless_urgent():
    rule = Rule("once", at="2026-12-01T22:30")
    assert days(next_fires(rule, POLICY, local(2026, 11, 28), 1)) == ["2026-12-02 08:00"]
    assert days(next_fires(rule, POLICY, local(2026, 11, 28), 1, urgent=True)) == ["2026-12-01 22:30"]


def test_quarterly_deadline_with_config_holidays_for_a_year_the_package_lacks():
    rule = Rule("calendar", months=(1, 4, 7, 10), day="5", deadline=True, ladder=(0,))
    plain = next_fires(rule, POLICY, local(2026, 12, 1), 1)
    assert days(plain) == ["2027-01-05 09:00"]
    cal = WorkCalendar(extra_holidays=frozenset({date(2027, 1, 5)}))
    told = Policy(tz=POLICY.tz, calendar=cal)
    assert days(next_fires(rule, told, local(2026, 12, 1), 1), told) == ["2027-01-04 09:00"]
    # One extra day is not a year's announcement: 春节 2027 is still unknown, so the warning stays.
    assert not POLICY.calendar.knows_year(2027) and not told.calendar.knows_year(2027)
    with_spring = WorkCalendar(extra_holidays=frozenset({date(2027, 1, 5), date(2027, 2, 8)}))
    assert with_spring.knows_year(2027)


def test_rule_survives_json_round_trip():
    rule = Rule("calendar", months=(1, 4, 7, 10), day="5", deadline=True, ladder=(3, 1, 0), shift="none")
    assert Rule.from_json(rule.to_json()) == rule
