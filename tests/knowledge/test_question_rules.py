"""The question-word and penalty rules are data (knowledge/data/question_rules.toml)."""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from typing import Any

import pytest

from knowledge.glossary import Glossary
from knowledge.query import analyse
from knowledge.question_rules import QuestionRules, QuestionRulesError, parse_rules


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return Glossary.load()


def bundled() -> dict[str, Any]:
    text = resources.files("knowledge").joinpath("data", "question_rules.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def test_bundled_rules_load_and_name_each_kind_of_question() -> None:
    rules = QuestionRules.load()
    assert {"quantity", "duration", "actor"} <= {r.name for r in rules.asks}
    assert rules.asked("入积要培养多久") == ("quantity", "duration")
    assert "actor" in rules.asked("谁来培养")
    assert "actor" not in rules.asked("向谁汇报")  # asks a recipient, not who does it
    assert rules.strip_stop_phrases("请问一下入党积极分子多久考察一次呀").split() == ["入党积极分子", "考察一次"]


def test_an_edited_rules_file_changes_the_analysis(glossary: Glossary) -> None:
    data = bundled()
    data["stop_phrases"] = [p for p in data["stop_phrases"] if p != "一般"]
    data["expand"] = []
    rules = parse_rules(data)
    labels = [c.label for c in analyse("入党一般多大", glossary, rules=rules).clauses]
    assert "一般" in labels and "多大" not in labels
    labels = [c.label for c in analyse("入党一般多大", glossary).clauses]
    assert "一般" not in labels and "多大" in labels  # the bundled rules: 多大 searches 年满/周岁


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["asks"][0].update(answers="x"), "asks[0] quantity: unknown key(s) answers"),
        (lambda d: d["asks"][1].update(question="多久("), "asks[1] duration: question is not a valid regular"),
        (lambda d: d["asks"][0].pop("answer"), "asks[0] quantity: missing answer"),
        (lambda d: d["penalties"].update(missing=0.5), "penalties: unknown key(s) missing"),
        (lambda d: d.update(stopwords=[]), "question_rules: unknown key(s) stopwords"),
    ],
)
def test_a_wrong_rules_file_is_refused_with_the_place_named(edit, message: str) -> None:
    data = bundled()
    edit(data)
    with pytest.raises(QuestionRulesError, match=re.escape(message)):
        parse_rules(data)
