"""Text normalization and index terms for Chinese policy text.

Chinese has no spaces, so the index uses overlapping character bigrams of CJK runs
(robust to unknown words, typos in one character and missing segmentation) plus whole
ASCII words/numbers. Queries and passages must go through the same ``normalize`` so that
full-width digits, punctuation variants and case never cause a miss.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN_RE = re.compile(rf"[{_CJK}]+|[a-z0-9]+")

# Question filler that carries no topic: removed from questions before matching, so that
# "请问入党积极分子多久考察一次呀" is matched like "入党积极分子 考察一次".
# Longest first, so that "是不是" is removed before "是".
STOP_PHRASES: tuple[str, ...] = tuple(
    sorted(
        {
            "请问一下",
            "请问",
            "问一下",
            "问下",
            "我想知道",
            "我想问",
            "想问",
            "想知道",
            "麻烦",
            "帮我",
            "帮忙",
            "查一下",
            "查下",
            "告诉我",
            "一下",
            "怎么办",
            "怎么样",
            "怎么",
            "咋",
            "怎样",
            "如何",
            "什么",
            "什么意思",
            "啥意思",
            "些",
            "啥",
            "哪些",
            "哪个",
            "哪里",
            "什么时候",
            "啥时候",
            "时候",
            "何时",
            "多少",
            "多久",
            "多长时间",
            "多长",
            "几个",
            "几次",
            "几天",
            "几年",
            "几",
            "多大年纪",
            "多大年龄",
            "多少岁",
            "几岁",
            "多大",
            "由谁来",
            "由谁",
            "谁来",
            "谁",
            "是不是",
            "是否",
            "能不能",
            "可不可以",
            "可以吗",
            "有没有",
            "要不要",
            "会不会",
            "算不算",
            "行不行",
            "是",
            "吗",
            "呢",
            "吧",
            "啊",
            "呀",
            "哈",
            "嘛",
            "么",
            "我们",
            "咱们",
            "我",
            "你们",
            "你",
            "的话",
            "的",
            "了",
            "一般",
            "具体",
            "规定",
            "有关",
            "关于",
            "对于",
            "一个",
            "那个",
            "这个",
        },
        key=len,
        reverse=True,
    )
)
_STOP_RE = re.compile("|".join(map(re.escape, STOP_PHRASES)))


def normalize(text: str) -> str:
    """Fold width, case and punctuation variants so both sides compare equal."""
    text = unicodedata.normalize("NFKC", text).lower()
    return text.replace("\u3000", " ")


def strip_stop_phrases(text: str) -> str:
    """Replace question filler by spaces (word boundaries), keeping topic words."""
    return _STOP_RE.sub(" ", text)


def bigrams(run: str) -> Iterator[str]:
    """Overlapping character bigrams; a lone character yields nothing (too noisy)."""
    for i in range(len(run) - 1):
        yield run[i : i + 2]


def terms(text: str) -> list[str]:
    """Index terms of already-normalized text: CJK bigrams and ASCII words, in order."""
    out: list[str] = []
    for m in _RUN_RE.finditer(text):
        run = m.group()
        if run[0].isascii():
            out.append(run)
        else:
            out.extend(bigrams(run))
    return out


def doc_terms(text: str) -> list[str]:
    """Index terms of raw passage text."""
    return terms(normalize(text))


def term_set(text: str) -> set[str]:
    """Distinct index terms of raw text (cheaper than doc_terms when order is not needed)."""
    out: set[str] = set()
    for run in _RUN_RE.findall(normalize(text)):
        if run[0].isascii():
            out.add(run)
        else:
            out.update(map(str.__add__, run, run[1:]))
    return out
