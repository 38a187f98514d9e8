"""Chinese date phrasings: understood when clear, asked back when they could mean two things."""

from __future__ import annotations

import pytest

from bot.scheduling.dialogue import parse_when
from bot.scheduling.phrases import AskBack, Parsed, parse_phrase
from bot.scheduling.rules import Policy, Rule, describe_rule
from tests.scheduling.conftest import local

NOW = local(2026, 11, 28, 10, 0)  # a Saturday


@pytest.mark.parametrize(
    ("phrase", "at"),
    [
        ("下周三下午3点", "2026-12-02T15:00"),
        ("下周三 15:00", "2026-12-02T15:00"),
        ("明天上午9点半", "2026-11-29T09:30"),
        ("后天晚上8点", "2026-11-30T20:00"),
        ("12月3日15:00", "2026-12-03T15:00"),
        ("十二月五日下午三点半", "2026-12-05T15:30"),
        ("2026-12-03 9:05", "2026-12-03T09:05"),
        ("3号上午10点", "2026-12-03T10:00"),
        ("周三 下午2点", "2026-12-02T14:00"),
        ("下午3点", "2026-11-28T15:00"),
        ("1月5日 上午9点", "2027-01-05T09:00"),
    ],
)
def test_one_off_times(phrase, at):
    result = parse_phrase(phrase, NOW)
    assert isinstance(result, Parsed), result
    assert result.rule.type == "once" and result.rule.at == at and not result.rule.deadline


def test_a_date_earlier_in_the_year_means_next_year_and_says_so():
    result = parse_phrase("6月20日前", NOW)
    assert isinstance(result, Parsed)
    assert result.rule.deadline and result.rule.at.startswith("2027-06-20")
    assert result.rule.ladder == (7, 3, 1, 0)
    assert "2027" in result.note


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("每月最后一个工作日 16:00", {"type": "calendar", "day": "last_workday", "time": "16:00", "months": ()}),
        ("每月第一个工作日 上午9点", {"type": "calendar", "day": "first_workday", "time": "09:00"}),
        ("每月第3个工作日 9:00", {"type": "calendar", "day": "workday:3"}),
        ("每季度第一个月5日前", {"type": "calendar", "day": "5", "months": (1, 4, 7, 10), "deadline": True}),
        ("每季度最后一个月 20 日前", {"type": "calendar", "day": "20", "months": (3, 6, 9, 12), "deadline": True}),
        ("每月20日前", {"type": "calendar", "day": "20", "deadline": True, "ladder": (3, 1, 0)}),
        ("每年6月20日前", {"type": "calendar", "day": "20", "months": (6,), "deadline": True}),
        ("每周一上午9点", {"type": "cron", "cron": "0 9 * * 1"}),
        ("每周一、三 8:30", {"type": "cron", "cron": "30 8 * * 1,3"}),
        ("每个工作日 9:00", {"type": "cron", "cron": "0 9 * * *", "workdays_only": True}),
    ],
)
def test_recurring_rules(phrase, expected):
    result = parse_phrase(phrase, NOW)
    assert isinstance(result, Parsed), result
    for key, value in expected.items():
        assert getattr(result.rule, key) == value, key


@pytest.mark.parametrize(
    ("phrase", "question"),
    [
        ("下周三3点", "上午 3 点还是下午 3 点"),
        ("下周三", "几点"),
        ("每月最后一个工作日", "几点"),
        ("周六下午3点", "今天就是周六"),
        ("本周一 9:00", "已经过去"),
        ("今天上午9点", "已经过去"),
        ("2月30日 9点", "没有30日"),
        ("每月", "哪一天"),
        ("找个时间", "没看懂"),
    ],
)
def test_ambiguous_or_impossible_phrases_are_asked_back(phrase, question):
    result = parse_phrase(phrase, NOW)
    assert isinstance(result, AskBack), result
    assert question in result.question


# Issue 11, item 8.
def test_midnight_is_asked_about_never_taken_for_noon():
    for phrase in ("明天晚上12点", "明天半夜12点", "明天夜里12点"):
        result = parse_phrase(phrase, NOW)
        assert isinstance(result, AskBack) and "24:00" in result.question and "中午 12:00" in result.question
    noon = parse_phrase("明天中午12点", NOW)
    assert isinstance(noon, Parsed) and noon.rule.at == "2026-11-29T12:00"


@pytest.mark.parametrize(
    ("phrase", "at"),
    [
        ("明天下午三点一刻", "2026-11-29T15:15"),
        ("明天上午九点三刻", "2026-11-29T09:45"),
        ("后天8点一刻", "2026-11-30T08:15"),
    ],
)
def test_quarter_hours(phrase, at):
    result = parse_phrase(phrase, NOW)
    assert isinstance(result, Parsed) and result.rule.at == at


def test_month_end_deadlines():
    this = parse_phrase("月底前", NOW)
    nxt = parse_phrase("下个月底前", NOW)
    assert isinstance(this, Parsed) and this.rule.deadline and this.rule.at.startswith("2026-11-30")
    assert isinstance(nxt, Parsed) and nxt.rule.at.startswith("2026-12-31")


def test_yes_to_is_it_next_friday_keeps_the_time_and_so_does_a_corrected_date():
    asked, earlier = parse_when("本周五17:00", "", NOW)
    assert isinstance(asked, AskBack) and "是指下周五吗" in asked.question
    for answer in ("是", "下周五"):
        result, left = parse_when(answer, earlier, NOW)
        assert isinstance(result, Parsed) and result.rule.at == "2026-12-04T17:00" and left == "", answer


def test_users_are_never_shown_cron_syntax():
    policy = Policy(tz=NOW.tzinfo)
    texts = {
        "0 9 * * 1": "每周一 09:00",
        "30 8 * * 1,3,5": "每周一、周三、周五 08:30",
        "0 16 * * 0": "每周日 16:00",
        "0 9 * * *": "每天 09:00",
        "0 9 15 * *": "每月15日 09:00",
        "*/5 9-17 * * *": "按自定义时间表重复",
    }
    for cron, words in texts.items():
        described = describe_rule(Rule("cron", cron=cron), policy)
        assert described.startswith(words) and cron not in described and "cron" not in described, described
    assert describe_rule(Rule("cron", cron="0 9 * * *", workdays_only=True), policy).startswith("每个工作日 09:00")
