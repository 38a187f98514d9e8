"""Wrong-homophone typos the glossary does not list are corrected by pinyin; real words
are left alone. Examples are this file's own (not bench/kb_eval's)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge import KnowledgeBase
from knowledge.glossary import Glossary
from knowledge.homophones import _load_tables, sounds_alike
from knowledge.query import analyse

# No skip: pypinyin is a hard dependency, read only through its public pinyin(). If it
# stops working, these tests fail instead of the feature switching itself off.


def test_the_reading_table_comes_from_pypinyin_and_covers_the_common_characters() -> None:
    readings, by_reading = _load_tables()
    assert len(readings) > 20000
    assert readings["党"] == ("dang",) and readings["绿"][0] == "lv" and readings["否"] == ("fou", "pi")
    assert "龄" in by_reading["ling"] and "令" in by_reading["ling"] and "否" not in by_reading["pi"]


@settings(max_examples=200, derandomize=True, deadline=None)
@given(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
)
def test_sounding_alike_is_a_shared_toneless_reading(a: str, b: str) -> None:
    readings = _load_tables()[0]
    assert sounds_alike(a, b) == sounds_alike(b, a) == bool(set(readings.get(a, ())) & set(readings.get(b, ())))
    assert all(r.isascii() and r.isalpha() for r in readings.get(a, ()))
    if a in readings:
        assert sounds_alike(a, a)


@pytest.mark.parametrize(
    ("question", "typed", "fixed"),
    [
        ("入党宣事仪式怎么搞", "宣事", "宣誓"),
        ("支部大会讨伦接收预备党员要多少人到会", "讨伦", "讨论"),
        ("入党志原书谁来填", "志原", "志愿"),
        ("谈化要谈什么", "谈化", "谈话"),
        ("发展对象要经过几天的集中陪训", "陪训", "培训"),
    ],
)
async def test_homophone_typo_is_fixed(kb: KnowledgeBase, question: str, typed: str, fixed: str) -> None:
    report = await kb.explain(question)
    assert {"typed": typed, "fixed": fixed} in report["typo_fixes"]


@pytest.mark.parametrize("question", ["党纪处分有哪些", "国庆放假几天", "党组能批预备党员不", "电脑中病毒了怎么办"])
async def test_real_words_are_not_rewritten(kb: KnowledgeBase, question: str) -> None:
    # 党纪 sounds like 党籍, 国庆 like 国情, 批 (pi) is also a reading of 否: all real text.
    assert (await kb.explain(question))["typo_fixes"] == []


async def test_fixed_question_ranks_like_the_correct_one(kb: KnowledgeBase) -> None:
    typed = await kb.explain("入党宣事仪式怎么搞")
    right = await kb.explain("入党宣誓仪式怎么搞")
    assert typed["candidates"][0]["citation"] == right["candidates"][0]["citation"]
    assert typed["result"]["status"] == right["result"]["status"]


def test_glossary_near_miss_needs_a_homophone() -> None:
    glossary = Glossary.load()
    assert sounds_alike("连", "联") and not sounds_alike("新", "拟")
    # 新 + 发展对象 is not a typo of 拟发展对象; 培养连系人 is one of 培养联系人.
    assert analyse("新发展对象要培训吗", glossary).fixes == []
    assert ("培养连系人", "培养联系人") in analyse("培养连系人有几个", glossary).fixes


def test_without_segmenter_only_glossary_words_are_fixes() -> None:
    from knowledge.homophones import HomophoneFixer
    from knowledge.index import IndexedPassage, PassageIndex

    glossary = Glossary.load()
    texts = ["党员的党龄从预备期满之日算起。", "支部大会讨论接收预备党员。"]
    index = PassageIndex.build([IndexedPassage(i, "passage", 1, f"第{i}条", "", t) for i, t in enumerate(texts)])
    fixer = HomophoneFixer(index, glossary, None)
    assert fixer.fix("党令从哪天算") == ("党龄从哪天算", [("党令", "党龄")])
    # 讨论 is no glossary word: without a dictionary it is not trusted as a fix.
    assert fixer.fix("支部大会讨伦")[1] == []


async def test_a_real_word_no_passage_has_becomes_the_same_sounding_word_they_use(kb: KnowledgeBase) -> None:
    # 公式 is a dictionary word, so the slip leaves no stranded characters; but no passage
    # says 公式, and 公示 sounds the same: without the fix, 公式 declined the question.
    report = await kb.explain("拟列发展对象公式几天")
    assert {"typed": "公式", "fixed": "公示"} in report["typo_fixes"]
    assert report["result"]["status"] == "answered", report["decision"]["reason"]
    assert report["result"]["sources"][0]["locator"].endswith("第十三条")
    # An absent word with no such neighbour is still what the question is about.
    trap = await kb.explain("今年我们单位优秀共产党员名额有几个")
    assert trap["typo_fixes"] == [] and trap["result"]["status"] == "unknown"
