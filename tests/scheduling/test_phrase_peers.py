"""Our Chinese time phrases measured against the well-kept parsers: jionlp.parse_time and cn2an.

The hand-written parser stays because it does what a scheduling tool needs and jionlp does not
(recurring rules, deadlines with 前, asking back on 晚上12点 and hours 1–7 without 上午/下午,
a month-day already past meaning next year). Wherever both give one definite moment they must
agree; the few places they may differ are named here, each with the reason ours is right.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import cn2an
import jionlp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.scheduling.phrases import AskBack, Parsed, cn_int, parse_phrase

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)  # a Wednesday

DAYS = [
    "明天",
    "后天",
    "大后天",
    "12月3日",
    "12月10号",
    "十二月三日",
    "12月十五日",
    "2027年1月5日",
    "2027年3月1日",
    "下周三",
    "下周五",
    "本周五",
    "周五",
    "1月8日",
    "6月20日",
    "十一月二十八日",
]
CLOCKS = [
    "上午9点",
    "上午十点一刻",
    "上午11点三刻",
    "早上8点",
    "中午12点",
    "下午3点",
    "下午三点半",
    "下午3点45分",
    "下午两点",
    "晚上8点",
    "晚上九点半",
    "15:30",
    "9:00",
    "20:05",
]


def _jionlp_moment(phrase: str) -> str | None:
    """jionlp's start of a definite time point, as ``YYYY-MM-DDTHH:MM``; None if it sees none."""
    try:
        found = jionlp.parse_time(phrase, time_base=NOW.replace(tzinfo=None).timestamp())
    except (ValueError, TypeError, KeyError):
        return None
    if not found or found.get("type") != "time_point" or found.get("definition") != "accurate":
        return None
    start: str = found["time"][0]
    return start[:16].replace(" ", "T")


def _year_rolled(phrase: str, ours: Parsed, theirs: str) -> bool:
    """A month-day already past this year: jionlp keeps this year (a moment in the past, useless
    for a reminder); ours takes next year and says so in its note."""
    return (
        "年" not in phrase
        and ours.rule.at[4:] == theirs[4:]
        and int(ours.rule.at[:4]) == int(theirs[:4]) + 1
        and ours.note.startswith(f"按 {ours.rule.at[:4]} 年")
    )


@settings(max_examples=150, derandomize=True, deadline=None)
@given(day=st.sampled_from(DAYS), clock=st.sampled_from(CLOCKS), space=st.sampled_from(["", " "]))
def test_one_off_moments_agree_with_jionlp(day: str, clock: str, space: str) -> None:
    phrase = day + space + clock
    ours = parse_phrase(phrase, NOW)
    assert isinstance(ours, Parsed), (phrase, ours)
    assert ours.rule.type == "once"
    theirs = _jionlp_moment(phrase)
    assert theirs is not None, phrase
    assert ours.rule.at == theirs or _year_rolled(phrase, ours, theirs), (phrase, ours.rule.at, theirs)


@pytest.mark.parametrize("phrase", ["明天晚上12点", "后天晚上12点"])
def test_midnight_is_asked_back_where_jionlp_guesses(phrase: str) -> None:
    """jionlp reads 晚上12点 as the next midnight (right most of the time); a reminder at the wrong
    midnight is a missed deadline, so ours asks, and offers jionlp's reading as the first choice."""
    theirs = _jionlp_moment(phrase)
    assert theirs is not None and theirs.endswith("T00:00")
    ours = parse_phrase(phrase, NOW)
    assert isinstance(ours, AskBack)
    assert "0:00" in ours.question and "中午 12:00" in ours.question


@pytest.mark.parametrize("phrase", ["明天3点", "后天两点半", "12月3日 5点"])
def test_small_hours_without_period_are_asked_back(phrase: str) -> None:
    """jionlp reads 3点 as 03:00; for a notice that is almost always 15:00. Ours asks instead."""
    assert isinstance(parse_phrase(phrase, NOW), AskBack)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(n=st.integers(min_value=0, max_value=99), two=st.booleans())
def test_numerals_agree_with_cn2an(n: int, two: bool) -> None:
    text = cn2an.an2cn(n, "low")
    if two and text.startswith("二") and n < 10:
        text = "两"
    assert cn_int(text) == n == int(cn2an.cn2an(text, "smart"))
