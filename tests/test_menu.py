"""Numbered menus read a pick the same way everywhere (policy answers, cadre lookups)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.menu import numbered, read_pick


def test_the_ways_people_type_a_number():
    for text in ("2", "２", " 2 ", "第2个", "第二条", "2号", "二", "2.", "2、", "第 2 项"):
        assert read_pick(text, 3).index == 1, text


def test_words_are_not_picks_and_out_of_range_numbers_keep_the_menu():
    assert not read_pick("预备期多长", 3).is_number
    assert not read_pick("1天", 3).is_number
    pick = read_pick("7", 3)
    assert pick.is_number and pick.index is None
    assert "1 到 3" in pick.out_of_range()


@given(count=st.integers(min_value=1, max_value=20), number=st.integers(min_value=0, max_value=40))
def test_a_pick_is_in_range_exactly_when_it_names_an_option(count, number):
    pick = read_pick(str(number), count)
    assert pick.is_number
    assert (pick.index is not None) == (1 <= number <= count)
    if pick.index is not None:
        assert numbered([f"o{i}" for i in range(count)])[pick.index].startswith(f"{number}. ")
