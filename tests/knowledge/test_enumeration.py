"""Whole answers to list questions: the items after an introduction, never a list cut at its start."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge import KnowledgeBase
from knowledge.enumeration import ANSWER_BUDGET, asks_for_list, following_items, from_list_start, whole_answer
from knowledge.index import IndexedPassage
from knowledge.passage_features import split_sentences

NUMS = "一二三四五六七八九"


def _speech(n_items: int, item_len: int = 30) -> list[IndexedPassage]:
    head = "一、认清形势,把握大局"
    items = [IndexedPassage(0, "passage", 1, f"{head} › 第1段", head, "开场白。")]
    items.append(
        IndexedPassage(1, "passage", 1, f"{head} › 第2段", head, f"必须从以下{NUMS[n_items - 1]}个方面来把握。")
    )
    for i in range(n_items):
        title = f"第{NUMS[i]},必须做好第{i + 1}件事"
        items.append(IndexedPassage(2 + i, "passage", 1, f"{head} › {title}", head, f"{title}。" + "正文" * item_len))
    items.append(IndexedPassage(9, "passage", 1, f"{head} › 第3段", head, "结束语。"))
    items.append(IndexedPassage(10, "passage", 2, "第一条", "", "第一,另一份文件。"))
    return items


@settings(max_examples=40, derandomize=True, deadline=None)
@given(st.integers(1, 9), st.integers(1, 300))
def test_an_introduction_is_answered_with_every_item_it_announces(n: int, item_len: int) -> None:
    items = _speech(n, item_len)
    parts = whole_answer(items, 1, items[1].text, "要从哪几个方面来把握")
    assert [p.pos for p in parts] == [1, *range(2, 2 + n)]  # all items, nothing after them
    assert sum(len(p.excerpt) for p in parts) <= ANSWER_BUDGET + 20 * n
    for i, part in enumerate(parts[1:]):
        assert part.excerpt.startswith(f"第{NUMS[i]},必须做好第{i + 1}件事。")  # each item's own words


def test_a_stated_count_stops_the_list_and_a_plain_paragraph_ends_it() -> None:
    items = _speech(4)
    items[1] = IndexedPassage(1, "passage", 1, items[1].locator, "", "必须从以下两个方面来把握。")
    assert [p.pos for p in following_items(items, 1, ANSWER_BUDGET, 2)] == [2, 3]
    assert [p.pos for p in following_items(items, 1, ANSWER_BUDGET, None)] == [2, 3, 4, 5]


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.integers(2, 8), st.data())
def test_an_excerpt_never_starts_inside_a_list_whose_opening_is_in_its_paragraph(n: int, data: st.DataObject) -> None:
    items = [f"第{i + 1}项内容{'甲' * data.draw(st.integers(1, 20))}" for i in range(n)]
    text = "第十六条 某某工作。\n主要内容是：" + "；".join(items) + "。\n另一段。"
    first = data.draw(st.integers(1, n - 1))
    last = data.draw(st.integers(first, n - 1))
    # A ranking window: whole sentences from item ``first`` to item ``last``.
    sentences = split_sentences(text)
    start = next(i for i, s in enumerate(sentences) if s.startswith(items[first]))
    stop = next(i for i, s in enumerate(sentences) if s.startswith(items[last]))
    window = "".join(sentences[start : stop + 1]).strip()
    out = from_list_start(text, window)
    assert out.startswith("主要内容是：")
    assert all(item in out for item in items)  # widened to the whole list, none dropped
    assert "另一段" not in out and "某某工作" not in out


def test_list_questions_are_told_apart_from_single_fact_questions() -> None:
    for q in (
        "入党介绍人有哪些任务",
        "政审都审些什么内容",
        "转正要走哪些手续",
        "培养联系人主要干啥",
        "要从哪几个方面把握",
    ):
        assert asks_for_list(q), q
    for q in ("预备期多长", "党龄从哪天算", "入党介绍人要几个"):
        assert not asks_for_list(q), q


async def test_bundled_corpus_list_answers_are_whole_and_cite_each_part(kb: KnowledgeBase) -> None:
    a = await kb.ask("今年组织工作要从哪几个方面来把握", record=False)
    assert a.status == "answered"
    assert all(f"第{n}," in a.answer for n in "一二三四")
    assert len(re.findall(r"（出处：", a.answer)) == 5 and len(a.sources) == 5
    a = await kb.ask("政审都审些什么内容", record=False)
    assert a.status == "answered" and "坚定马克思主义信仰" in a.answer and "家庭主要成员和重要社会关系" in a.answer
    a = await kb.ask("培养联系人主要干啥", record=False)
    assert a.status == "answered" and all(f"（{n}）" in a.answer for n in "一二三四")
    a = await kb.ask("今年组织工作着重抓好哪五个方面", record=False)
    assert a.status == "answered"
    assert all(f"({n})" in a.answer for n in "一二三四五") and len(a.sources) == 6
    assert "(五)加强党员队伍建设,保持党员队伍的先进性和纯洁性" in a.answer
