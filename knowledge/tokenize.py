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


def normalize(text: str) -> str:
    """Fold width, case and punctuation variants so both sides compare equal."""
    text = unicodedata.normalize("NFKC", text).lower()
    return text.replace("\u3000", " ")


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
