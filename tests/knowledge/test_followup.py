"""Reading short follow-up questions with the previous question's topic."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.followup import ASPECT, read_follow_up
from knowledge.glossary import Glossary

GLOSSARY = Glossary.load()
FORMS = sorted(
    {f for e in GLOSSARY.entries for f in e.forms if len(f) >= 2 and len(ASPECT.sub("", f)) >= 2 and f.isalnum()}
)
ASPECTS = ["要几个", "需要谁批准", "要多久", "怎么办", "从哪天算", "什么时候开始", "可以吗", "在哪里"]


@pytest.mark.parametrize(
    ("previous", "question", "read_as"),
    [
        ("转正要走哪些手续", "需要谁批准", "转正需要谁批准"),
        ("党龄从哪天算", "那预备期呢？", "预备期从哪天算"),
        ("预备期多长", "这个要多久", "预备期要多久"),
        ("入党介绍人要几个", "那培养联系人呢", "培养联系人要几个"),
        ("入党介绍人要几个", "预备期多长", None),
        ("入党介绍人要几个", "单位食堂几点开饭", None),
        ("转正要走哪些手续", "转正申请要书面的吗", None),
        ("转正要走哪些手续", "转正要走哪些手续", None),
    ],
)
def test_follow_ups_read_as_staff_mean_them(previous: str, question: str, read_as: str | None) -> None:
    reading = read_follow_up(question, previous, GLOSSARY)
    assert (reading.question if reading else None) == read_as


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.sampled_from(FORMS), st.sampled_from(ASPECTS), st.sampled_from(FORMS), st.sampled_from(ASPECTS))
def test_a_question_naming_its_own_topic_is_never_rewritten(form: str, aspect: str, before: str, asked: str) -> None:
    # Whatever was asked before, "X要几个" names its topic and does not point back.
    assert read_follow_up(form + aspect, before + asked, GLOSSARY) is None


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.sampled_from(FORMS), st.sampled_from(ASPECTS), st.sampled_from(ASPECTS))
def test_a_bare_aspect_borrows_the_previous_topic_and_names_it(form: str, asked: str, aspect: str) -> None:
    reading = read_follow_up(aspect, form + asked, GLOSSARY)
    assert reading is not None
    assert reading.topic and reading.topic in reading.question and aspect in reading.question
