"""Dates, IDs and masks as people type and read them."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.cadres.dates import DateError, parse_date
from bot.cadres.ids import find_id_in_text, parse_query
from bot.cadres.masking import mask_birth_date, mask_id_card, mask_phone
from bot.cadres.measures import parse_measures
from bot.router import Router, collect_handlers, import_submodules


@pytest.mark.parametrize(
    "typed",
    ["2023-07-01", "2023/7/1", "2023.7.1", "2023年7月1日", "2023 年 7 月 1 日", "20230701", "２０２３－０７－０１",
     "2023-07-01 00:00:00", 45108, 45108.0, "45108", datetime(2023, 7, 1, 0, 0), date(2023, 7, 1)],
)  # fmt: skip
def test_dates_people_type(typed):
    assert parse_date(typed) == date(2023, 7, 1)


def test_month_only_dates_where_forms_allow_them():
    assert parse_date("1978-05", allow_month=True) == date(1978, 5, 1)
    assert parse_date("1978年5月", allow_month=True) == date(1978, 5, 1)
    with pytest.raises(DateError):
        parse_date("1978-05")


@pytest.mark.parametrize("typed", ["2023-02-30", "2023-13-01", "昨天", "7/1/2023", "1850-01-01", "3000000"])
def test_impossible_or_unreadable_dates(typed):
    with pytest.raises(DateError):
        parse_date(typed)


def test_empty_cells_are_no_date():
    assert parse_date(None) is None and parse_date("  ") is None


def test_query_reading():
    assert parse_query(" ａ１０２４ ").cadre_id == "A1024"
    assert parse_query("G2023-0157").cadre_id == "G2023-0157"
    assert parse_query("张 三").name == "张三"
    assert parse_query("").error and parse_query("x" * 500).error
    assert parse_query("A1' OR 1=1").error and parse_query("A1;--").error


def test_ids_found_in_sentences():
    assert find_id_in_text("查一下a1024今年学时够不够") == "A1024"
    assert find_id_in_text("G2023-0157的后备情况") == "G2023-0157"
    assert find_id_in_text("今年学时要求是多少") is None


def test_masks():
    assert mask_id_card("11010119900101123X") == "**************123X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_birth_date(date(1978, 5, 6)) == "1978年**月"


def test_measures_cell():
    items = parse_measures("挂职：某县副县长（2025-03-01至2026-02-28）；轮岗：市发改委\n调训(2026/3/1~2026/3/20)")
    assert [(m.kind, m.content, m.start, m.end) for m in items] == [
        ("挂职", "某县副县长", date(2025, 3, 1), date(2026, 2, 28)),
        ("轮岗", "市发改委", None, None),
        ("调训", "", date(2026, 3, 1), date(2026, 3, 20)),
    ]


@pytest.mark.parametrize(
    "question",
    [
        "县处级干部每年要完成多少学时",
        "我们单位今年培训学时要求是多少",
        "干部教育培训条例规定了什么",
        "后备干部怎么选拔",
    ],
)
def test_policy_questions_are_not_taken_for_lookups(question):
    router = Router(collect_handlers(import_submodules("handlers")))
    route = router.resolve(question)
    assert route is None or not route.spec.name.startswith("handlers.cadre_lookup")
