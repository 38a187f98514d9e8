"""Numbered menus ("请回复序号"): how options are shown and how a reply picks one.

The policy answers' "which clause did you mean" and the cadre lookups' "several people
match" both ask the person to pick by number; they read the pick the same way here, so
"2", "２", "第二个", "2号" and "二" mean the same thing everywhere.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

_PICK = re.compile(r"^\s*(?:第\s*)?([0-9]{1,2}|[一二三四五六七八九十])\s*(?:条|个|项|位|号|\.|、|。)?\s*$")
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


@dataclass(frozen=True)
class Pick:
    """A reply read against a menu of ``count`` options."""

    number: int | None  # what the person typed, if it was a number at all
    count: int

    @property
    def is_number(self) -> bool:
        return self.number is not None

    @property
    def index(self) -> int | None:
        """The 0-based option picked, or None when the reply was no number or out of range."""
        if self.number is None or not 1 <= self.number <= self.count:
            return None
        return self.number - 1

    def out_of_range(self, alternative: str = "") -> str:
        """What to say when a number was typed that is not on the menu (the menu stays open)."""
        return f"请回复 1 到 {self.count} 之间的序号{('，' + alternative) if alternative else ''}。"


def read_pick(text: str, count: int) -> Pick:
    match = _PICK.match(unicodedata.normalize("NFKC", text))
    if not match:
        return Pick(None, count)
    token = match.group(1)
    return Pick(_CN_DIGITS.get(token) or int(token), count)


def numbered(items: Iterable[str], *, indent: str = "") -> list[str]:
    return [f"{indent}{i}. {item}" for i, item in enumerate(items, 1)]
