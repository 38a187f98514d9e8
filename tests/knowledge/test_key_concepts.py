"""A candidate lacking the question's key concept is never the answer or a menu entry;
FAQ answers are searched too."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import KnowledgeBase, bundled_corpus


@pytest.fixture
async def kb_faq(engine, tmp_path: Path) -> KnowledgeBase:
    base = await KnowledgeBase.open(engine, tmp_path / "idx")
    await base.import_paths([bundled_corpus()])  # texts + demo FAQ
    return base


async def test_retiree_dues_answered_from_faq_answer_text(kb_faq: KnowledgeBase) -> None:
    # The FAQ's question is about 党费比例; only its answer mentions 离退休党员.
    ans = await kb_faq.ask("退休党员党费怎么交")
    assert ans.status == "answered", ans.reason
    assert ans.sources[0].kind == "faq" and "离退休党员" in (ans.answer or "")


async def test_passage_without_the_key_word_is_not_answered(kb: KnowledgeBase) -> None:
    # Without the FAQ, the best bigram match is a 2003 speech on 离退休党员 management
    # that never mentions 党费: declining beats a confident wrong answer.
    ans = await kb.ask("退休党员党费怎么交")
    assert ans.status != "answered" or "党费" in ans.sources[0].text, ans.reason
    report = await kb.explain("退休党员党费怎么交")
    speech = [c for c in report["candidates"] if c["doc_key"].startswith("zuzhi_renshi")]
    assert report["result"]["status"] == "unknown"
    assert all("党费" not in c["text"] for c in speech)


@pytest.mark.parametrize("question", ["两优一先什么时候评", "2优1先"])
async def test_bare_slogan_not_in_documents_is_declined(kb_faq: KnowledgeBase, question: str) -> None:
    # Passages mention 优秀共产党员 in passing; none is about 两优一先 itself.
    ans = await kb_faq.ask(question, record=False)
    assert ans.status == "unknown", ans.reason


async def test_how_to_verb_is_not_a_key_concept(kb: KnowledgeBase) -> None:
    # 处理 ⇄ 处置 is the action asked about; the clause says 失去联系, not 处理.
    ans = await kb.ask("党员联系不上怎么处理")
    assert ans.status == "answered" and ans.sources[0].locator.endswith("第二十四条")


@pytest.mark.parametrize(
    ("question", "locator"),
    [
        ("多大可以入党", "第五条"),  # age question ⇄ 年满十八岁
        ("几岁能申请入党", "第五条"),
        ("发展对象培训可以线上吗", "第十七条"),  # 线上 ⇄ 视频方式 (glossary)
    ],
)
async def test_question_word_rules_find_the_clause(kb: KnowledgeBase, question: str, locator: str) -> None:
    ans = await kb.ask(question)
    assert ans.status == "answered", ans.reason
    assert ans.sources[0].locator.endswith(locator)


async def test_who_question_prefers_the_clause_naming_someone(kb: KnowledgeBase) -> None:
    # 第九条: 党组织应当指定一至两名正式党员作入党积极分子的培养联系人.
    ans = await kb.ask("积极分子谁来培养", record=False)
    assert ans.status != "unknown", ans.reason
    assert ans.sources[0].locator.endswith("第九条")
