"""Question analysis: glossary expansion, typo correction, filler removal."""

from __future__ import annotations

import pytest

from knowledge.glossary import Glossary
from knowledge.query import Segmenter, analyse
from knowledge.tokenize import doc_terms, normalize


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return Glossary.load()


def test_normalize_folds_width_and_case() -> None:
    assert normalize("３会１课ＡＢ") == "3会1课ab"
    assert doc_terms("党费,2019年") == ["党费", "2019", "年"] or doc_terms("党费,2019年") == ["党费", "2019"]


def test_slogan_expands_to_canonical_and_synonyms(glossary: Glossary) -> None:
    q = analyse("七一表彰什么时候报", glossary)
    concept = next(c for c in q.clauses if c.concept == "两优一先")
    texts = [a.text for a in concept.alternatives]
    assert texts[0] == "七一表彰"
    assert "两优一先" in texts
    assert q.wants_quantity  # 什么时候 asks for a date


def test_abbreviation_expands(glossary: Glossary) -> None:
    q = analyse("后备怎么选", glossary)
    concept = next(c for c in q.clauses if c.concept == "后备干部")
    assert "后备干部" in [a.text for a in concept.alternatives]


@pytest.mark.parametrize(
    ("typed", "fixed"),
    [("后被干部", "后备"), ("3会1课", "三会一课"), ("发展对像", "发展对象"), ("挡籍", "党籍"), ("任前示", "任前公示")],
)
def test_typos_are_corrected(glossary: Glossary, typed: str, fixed: str) -> None:
    q = analyse(f"{typed}有什么要求", glossary)
    assert (typed, fixed) in q.fixes or any(f == fixed for _, f in q.fixes)


def test_filler_is_removed_and_segmentation_downweights_cross_word_bigrams(glossary: Glossary) -> None:
    seg = Segmenter(glossary)
    q = analyse("请问一下入党积极分子多久考察一次呀", glossary, seg)
    labels = [c.label for c in q.clauses]
    assert "入党积极分子" in labels and "考察" in labels
    assert not any(w in "".join(labels) for w in ("请问", "多久", "呀"))
    if seg.enabled:
        cross = [c for c in q.clauses if c.label == "察一"]
        assert cross and cross[0].weight < 1.0


def test_greeting_has_no_clauses(glossary: Glossary) -> None:
    assert analyse("你好呀", glossary).is_empty


def test_one_character_typo_in_long_form_is_fixed(glossary: Glossary) -> None:
    q = analyse("培养连系人要几个", glossary)
    assert ("培养连系人", "培养联系人") in q.fixes
    # Short forms are left alone: 干部培养 is a real phrase, not a typo of 干部培训.
    assert analyse("干部培养有什么要求", glossary).fixes == []


def test_duration_questions_are_told_apart_from_counts(glossary: Glossary) -> None:
    # "两名" answers 要几个 but not 多长/多久: a length of time must be stated.
    assert analyse("处分影响期多长", glossary).wants_duration
    assert analyse("试用期一般几年", glossary).wants_duration
    q = analyse("入党介绍人要几个", glossary)
    assert q.wants_quantity and not q.wants_duration


def test_colloquial_filler_words_are_not_topics(glossary: Glossary) -> None:
    # 干些啥 / 是什么意思 say how a question is asked, not what it is about.
    labels = "".join(c.label for c in analyse("培养联系人要干些啥", glossary).clauses)
    assert "些" not in labels
    labels = "".join(c.label for c in analyse("流动党员是什么意思", glossary).clauses)
    assert "意思" not in labels


@pytest.mark.parametrize(
    ("question", "digits", "spelled"),
    [("刚满18能写入党申请吗", "18", "十八"), ("预备期满3个月了", "3", "三个"), ("要2名介绍人", "2", "两名")],
)
def test_digits_are_also_searched_as_the_regulations_spell_them(
    glossary: Glossary, question: str, digits: str, spelled: str
) -> None:
    clause = next(c for c in analyse(question, glossary).clauses if c.label == digits)
    assert clause.alternatives[0].text == digits  # what was typed counts fully
    assert any(a.text == spelled and a.factor < 1 for a in clause.alternatives[1:])


def test_numeral_spelling() -> None:
    from knowledge.query import chinese_numeral

    spelled = [chinese_numeral(n) for n in (1, 10, 11, 18, 24, 40, 99)]
    assert spelled == ["一", "十", "十一", "十八", "二十四", "四十", "九十九"]


async def test_a_typed_age_is_matched_to_the_age_requirement(kb) -> None:
    # 年满十八岁 (第五条) is found from 18 typed in digits, with the age rule's 年满.
    report = await kb.explain("18岁能入党吗", limit=5)
    top = report["candidates"][0]
    assert "第五条" in top["locator"] and "18→十八岁" in top["matched"], top
    assert report["result"]["status"] == "answered", report["decision"]["reason"]
