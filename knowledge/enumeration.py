"""Whole answers to questions that ask for a list (哪些 / 哪几个方面 / 包括什么 / 程序).

The ranking quotes the ~300-character window that covers the question best. For a
list that is the wrong unit: the window may be the introductory sentence alone
("必须从以下四个方面来把握。") while the items are the next passages, or it may start
in the middle of a list joined by "；" and drop the first items (政治审查的主要内容是：…).
Here an answer is widened to the list it belongs to: the whole article when it fits,
the introduced items that follow as separate parts (each with its own citation), and
an excerpt never starts inside a list whose opening is in the same paragraph.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .index import IndexedPassage
from .passage_features import split_sentences

ANSWER_BUDGET = 1000  # characters of quoted text in one answer, all parts together
ENUMERATION_QUESTION = re.compile(
    r"哪些|哪几|几个方面|几方面|几条|几项|包括|包含|都有什么|都有啥|有什么内容|有啥内容|什么内容|主要内容"
    r"|程序|流程|步骤|手续|原则|任务|情形|方面|职责|干啥|干什么|做什么|做啥|要求|条件"
)
# The sentence that announces a list: "…从以下四个方面来把握。" / "…主要任务是：".
LIST_INTRO = re.compile(r"(?:以下|如下|下列)[^。；]{0,16}[。：:]?\s*$|[：:]\s*$")
# How a list item opens: （一） (一) 一、 第一, 1. 一要 一是.
ITEM_OPENING = re.compile(
    r"^\s*(?:[（(][一二三四五六七八九十]+[）)]|[一二三四五六七八九十]+、|第[一二三四五六七八九十]+[,，、]"
    r"|[0-9]+[.．、]|[一二三四五六七八九十][要是])"
)
_PLAIN_PARAGRAPH = re.compile(r"^第[0-9]+段$")
_COUNT = re.compile(r"(?:以下|如下|下列)([一二三四五六七八九十两0-9]+)(?:个|条|项|点|种)")
_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


@dataclass(frozen=True)
class Part:
    """One quoted part of an answer: an excerpt of the item at ``pos`` in the index,
    cited by ``locator`` when it quotes a whole section's heading rather than the item."""

    pos: int
    excerpt: str
    locator: str | None = None


def asks_for_list(question: str) -> bool:
    """Whether the question asks for an enumeration (all of its items are the answer)."""
    return bool(ENUMERATION_QUESTION.search(question))


def whole_answer(items: Sequence[IndexedPassage], pos: int, snippet: str, question: str) -> list[Part]:
    """The parts that answer ``question`` from the item at ``pos`` (whose best window is
    ``snippet``): the first part is always that item's."""
    item = items[pos]
    text = item.text.strip()
    if not asks_for_list(question):
        return [Part(pos, from_list_start(text, snippet))]
    first = text if len(text) <= ANSWER_BUDGET else from_list_start(text, snippet, ANSWER_BUDGET)
    parts = [Part(pos, first)]
    budget = ANSWER_BUDGET - len(first)
    # A long article is stored in chunks (第九条（续1）…): the list goes on in them.
    base = item.locator.split("（续")[0]
    for j in range(pos + 1, len(items)):
        nxt = items[j]
        if nxt.doc_id != item.doc_id or not nxt.locator.startswith(base + "（续") or len(nxt.text) > budget:
            break
        parts.append(Part(j, nxt.text.strip()))
        budget -= len(nxt.text)
        text = nxt.text.strip()
    last_sentence = split_sentences(text)[-1] if text else ""
    if LIST_INTRO.search(last_sentence):
        parts += following_items(items, parts[-1].pos, budget, _stated_count(last_sentence))
    return parts


def from_list_start(text: str, snippet: str, budget: int = ANSWER_BUDGET) -> str:
    """``snippet`` widened to the list it is part of, when it starts or ends inside a
    list joined by "；" whose opening (a sentence ending in "：") is in the same
    paragraph, and the result fits ``budget``; otherwise the snippet as it is (it
    already starts at a sentence)."""
    span = _locate(text, snippet.rstrip("…"))
    if span is None:
        return snippet
    at, core_end = span
    start, end = span
    paragraph_start = text.rfind("\n", 0, at) + 1
    if at > 0 and text[at - 1] in "；;":
        opening = max(text.rfind("：", paragraph_start, at), text.rfind(":", paragraph_start, at))
        if opening >= 0:
            start = max(text.rfind("。", paragraph_start, opening) + 1, paragraph_start)
    if text[end - 1 : end] in ("；", ";"):
        stop = text.find("。", end)
        if stop >= 0:
            end = stop + 1
    if (start, end) == span or end - start > budget:
        return snippet
    tail = "…" if snippet.endswith("…") and end == core_end else ""
    return text[start:end].strip() + tail


def _locate(text: str, core: str) -> tuple[int, int] | None:
    """Where ``core`` (sentences of ``text`` joined without their line breaks) lies in
    ``text``: from its first sentence to the end of its last."""
    pieces = [p for p in split_sentences(core) if p.strip()]
    if not pieces:
        return None
    at = text.find(pieces[0])
    if at < 0:
        return None
    last = text.find(pieces[-1], at)
    return (at, last + len(pieces[-1])) if last >= 0 else (at, at + len(pieces[0]))


def following_items(items: Sequence[IndexedPassage], pos: int, budget: int, count: int | None) -> list[Part]:
    """The list items an introductory passage announces: the passages after it in the
    same document that open as list items, one part per item (deeper sections by their
    heading). Whole texts when all fit ``budget``, else each item's opening sentence."""
    intro = items[pos]
    parent = intro.locator.split(" › ")[:-1]
    depth = len(parent)
    groups: list[tuple[int, str, str | None]] = []  # (first position, heading or text, locator)
    seen: set[str] = set()
    for j in range(pos + 1, len(items)):
        it = items[j]
        segs = it.locator.split(" › ")
        if it.kind != "passage" or it.doc_id != intro.doc_id or segs[:depth] != parent or len(segs) <= depth:
            break
        seg = segs[depth]
        if seg in seen:
            continue
        if _PLAIN_PARAGRAPH.match(seg) or not ITEM_OPENING.match(seg):
            break
        seen.add(seg)
        if len(segs) == depth + 1:
            groups.append((j, it.text.strip(), None))
        else:
            groups.append((j, _full_heading(it, depth), " › ".join(segs[: depth + 1])))
        if count is not None and len(groups) >= count:
            break
    if not groups:
        return []
    whole = sum(len(h) for _, h, _ in groups) <= budget
    return [Part(j, h if whole else _opening_sentence(h), loc) for j, h, loc in groups]


def _full_heading(item: IndexedPassage, depth: int) -> str:
    """The untruncated heading at ``depth`` of the item's heading path (its context is
    "title heading › heading › …"; locators shorten long headings with "…")."""
    segs = item.context.split(" › ")
    if depth >= len(segs):
        return item.locator.split(" › ")[depth]
    seg = segs[depth]
    return seg.split(" ", 1)[1] if depth == 0 and " " in seg else seg


def _opening_sentence(text: str) -> str:
    sentences = split_sentences(text)
    head = sentences[0].strip() if sentences else text
    return head if len(head) == len(text.strip()) else head + "…"


def _stated_count(sentence: str) -> int | None:
    m = _COUNT.search(sentence)
    if not m:
        return None
    token = m.group(1)
    if token.isdigit():
        return int(token)
    if len(token) == 1:
        return _DIGITS.get(token)
    return None
