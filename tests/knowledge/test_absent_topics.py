"""Evidence that a question is about something the documents do not cover: a noun no
passage mentions (declined by rule), a number asked about one thing but stated about
another, a noun the best passage lacks although others have it."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from knowledge import KnowledgeBase, bundled_corpus_texts
from knowledge.glossary import Glossary
from knowledge.query import Segmenter, analyse
from knowledge.question_rules import QuestionRules, parse_rules


async def test_a_noun_no_passage_mentions_is_declined_and_named(kb: KnowledgeBase) -> None:
    # 优秀共产党员/今年/单位 match the 争创 paragraph well; 名额 is in none of the texts.
    report = await kb.explain("今年我们单位优秀共产党员名额有几个")
    assert report["result"]["status"] == "unknown"
    assert "名额" in report["decision"]["reason"]
    assert report["decision"]["evidence"]["unknown_noun"] == 1.0
    ans = await kb.ask("今年我们单位优秀共产党员名额有几个", user_id="u1")
    assert ans.status == "unknown" and ans.recorded


async def test_an_admin_faq_about_the_absent_noun_is_answered_at_once(kb: KnowledgeBase) -> None:
    question = "今年我们单位优秀共产党员名额有几个"
    await kb.add_faq(question, "名额由上级党委按比例下达，今年本单位为 2 名。", source="组织部通知")
    ans = await kb.ask(question)
    assert ans.status == "answered" and "2 名" in (ans.answer or ""), ans.reason


async def test_a_known_question_with_the_same_shape_is_still_answered(kb: KnowledgeBase) -> None:
    # Same kind of question (几个), every noun in the documents: the rule does not fire.
    report = await kb.explain("入党介绍人要几个")
    assert report["decision"]["evidence"]["unknown_noun"] == 0.0
    assert report["result"]["status"] == "answered", report["decision"]["reason"]
    assert "第十四条" in report["result"]["sources"][0]["locator"]


async def test_a_number_stated_about_something_else_is_evidence_against(kb: KnowledgeBase) -> None:
    # 第十六条 names 党小组会, but its only number is 每月开展1次 for 主题党日.
    far = await kb.explain("党小组会一个月开几次")
    assert far["decision"]["evidence"]["number_detached"] == 1.0
    assert any(c["signal"].startswith("问数量") and c["effect"] < 0 for c in far["decision"]["contributions"])
    near = await kb.explain("发展对象培训要多少学时")
    assert near["decision"]["evidence"]["number_detached"] == 0.0


async def test_how_often_without_a_number_for_that_thing_is_never_answered_outright(kb: KnowledgeBase) -> None:
    # Every word of 党小组会一个月开几次 matches 第十六条, whose probability clears the
    # threshold; but the clause says how often 主题党日 is held, not 党小组会.
    far = await kb.explain("党小组会一个月开几次")
    assert far["decision"]["evidence"]["unstated_number"] == 1.0
    assert far["decision"]["probability"] >= kb.calibration.answer
    assert far["result"]["status"] != "answered"
    assert "次数或日期" in far["decision"]["reason"]
    # The same clause answers how often 主题党日 is held; how long is not decisive (连续6个月
    # 不参加…或者不交纳党费 states it across the clause).
    for question, article in (("主题党日每月开几次", "第十六条"), ("党员多长时间不交党费算自行脱党", "第三十一条")):
        report = await kb.explain(question)
        assert report["decision"]["evidence"]["unstated_number"] == 0.0
        assert report["result"]["status"] == "answered", report["decision"]["reason"]
        assert report["result"]["sources"][0]["locator"].endswith(article)
    # 啥时候 / 几个 are answered in words as often as in numbers: evidence, not a rule.
    when = await kb.explain("入党宣誓一般啥时候搞")
    assert when["decision"]["evidence"]["unstated_number"] == 0.0


async def test_a_noun_the_best_passage_lacks_is_counted(kb: KnowledgeBase) -> None:
    # 任期 is in the documents, but not in the 党支部书记 clause that ranks first.
    report = await kb.explain("党支部书记任期几年")
    assert report["decision"]["evidence"]["nouns_elsewhere"] > 0
    assert report["result"]["status"] != "answered"


def test_nouns_leave_out_filler_and_words_about_the_documents() -> None:
    glossary = Glossary.load()
    seg = Segmenter(glossary)
    rules = QuestionRules.load()
    assert "名额" in analyse("今年我们单位优秀共产党员名额有几个", glossary, seg, rules=rules).nouns
    # 条款 asks where it is written, 意思 what it means: neither is the topic.
    assert "条款" not in analyse("三会一课是哪个条款规定的", glossary, seg, rules=rules).nouns
    assert "意思" not in analyse("党员组织关系是什么意思", glossary, seg, rules=rules).nouns
    # Without a segmenter there are no nouns (and so no rule decline).
    assert analyse("名额有几个", glossary, Segmenter(glossary, enabled=False), rules=rules).nouns == ()


def test_meta_words_are_data() -> None:
    rules = parse_rules({"meta_words": ["条款"]})
    assert not rules.is_topic("条款") and rules.is_topic("名额")


async def test_which_questions_need_the_number_stated_is_data(engine: AsyncEngine, tmp_path: Path) -> None:
    text = resources.files("knowledge").joinpath("data", "question_rules.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    for rule in data["asks"]:
        rule.pop("decisive", None)
    kb = await KnowledgeBase.open(engine, tmp_path / "index", rules=parse_rules(data))
    await kb.import_paths(bundled_corpus_texts())
    report = await kb.explain("党小组会一个月开几次")
    assert report["decision"]["evidence"]["unstated_number"] == 0.0
    assert report["result"]["status"] == "answered"


async def test_a_noun_cut_across_a_glossary_term_is_not_a_noun_of_the_question(kb: KnowledgeBase) -> None:
    # The segmenter reads 党费用来 as 党|费用|来; 费用 is in no passage, but half of it is 党费.
    report = await kb.explain("党委留存的党费用来干嘛")
    assert report["decision"]["evidence"]["unknown_noun"] == 0.0
    assert report["result"]["status"] == "answered", report["decision"]["reason"]
    assert report["result"]["sources"][0]["locator"].endswith("第四十二条")
    # The same noun standing on its own is still one.
    glossary = Glossary.load()
    query = analyse("活动费用怎么报销", glossary, Segmenter(glossary), rules=QuestionRules.load())
    assert "费用" in query.nouns
