"""How questions ask, as data (data/question_rules.toml beside the glossary).

A question asking 几天 cannot be answered by a clause that states no number, one asking
谁 wants a clause that names someone, and 请问/吗 are never what a question is about.
These rules change as staff phrase things in new ways, so an administrator edits them
in a file rather than in code; a wrong key or a broken regular expression stops the
load with a message naming it instead of silently switching a rule off.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any


class QuestionRulesError(ValueError):
    """The rules file is malformed (the message names the entry and key)."""


@dataclass(frozen=True)
class AskRule:
    """One kind of question word and what an answer to it must state."""

    name: str
    question: re.Pattern[str]
    answer: re.Pattern[str]
    penalty: float
    group: str
    screen: bool = False
    attached: bool = False
    detached_penalty: float = 1.0
    # Not stated next to the question's words in the best excerpt: never answered
    # outright (asked back or declined), however well the rest matches.
    decisive: bool = False


@dataclass(frozen=True)
class Expansion:
    """A question word standing for the words the rules use (多大 → 年满/周岁)."""

    name: str
    question: re.Pattern[str]
    forms: tuple[str, ...]
    unless_concept: str | None = None


@dataclass(frozen=True)
class Penalties:
    """Confidence factors for mismatches other than question words."""

    missing_concept: float = 0.6
    key_concept_share: float = 0.2
    attached_chars: int = 16


@dataclass(frozen=True)
class QuestionRules:
    """Everything in one rules file."""

    stop_phrases: tuple[str, ...] = ()
    how_words: tuple[str, ...] = ()
    meta_words: tuple[str, ...] = ()
    asks: tuple[AskRule, ...] = ()
    expand: tuple[Expansion, ...] = ()
    penalties: Penalties = field(default_factory=Penalties)
    _stop: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        # Longest first, so that 是不是 is removed before 是.
        ordered = sorted(set(self.stop_phrases), key=len, reverse=True)
        stop = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        object.__setattr__(self, "_stop", stop)

    def strip_stop_phrases(self, text: str) -> str:
        """Replace question filler by spaces (word boundaries), keeping topic words."""
        return self._stop.sub(" ", text) if self._stop is not None else text

    def is_topic(self, word: str) -> bool:
        """Whether a word of the question can be what it is about: not filler (a stop
        phrase) and not a word about the documents themselves (条款, 讲话, 意思)."""
        return word not in self.meta_words and not self.strip_stop_phrases(word).isspace()

    def asked(self, question: str) -> tuple[str, ...]:
        """Names of the ask rules whose question words ``question`` uses."""
        return tuple(r.name for r in self.asks if r.question.search(question))

    def rules(self, names: tuple[str, ...]) -> list[AskRule]:
        """The ask rules named, in file order."""
        return [r for r in self.asks if r.name in names]

    @classmethod
    def load(cls, path: Path | None = None) -> QuestionRules:
        """The bundled rules, or those at ``path``."""
        if path is None:
            text = resources.files("knowledge").joinpath("data", "question_rules.toml").read_text(encoding="utf-8")
        else:
            text = path.read_text(encoding="utf-8")
        return parse_rules(tomllib.loads(text))


@cache
def bundled_rules() -> QuestionRules:
    """The packaged rules, parsed once (they are immutable)."""
    return QuestionRules.load()


def parse_rules(data: dict[str, Any]) -> QuestionRules:
    """Build the rules from parsed TOML; unknown keys and bad patterns are errors."""
    _known(data, {"stop_phrases", "how_words", "meta_words", "asks", "expand", "penalties"}, "question_rules")
    asks = [
        AskRule(
            name=str(_get(raw, "name", where)),
            question=_pattern(raw, "question", where),
            answer=_pattern(raw, "answer", where),
            penalty=float(_get(raw, "penalty", where)),
            group=str(raw.get("group", raw["name"])),
            screen=bool(raw.get("screen", False)),
            attached=bool(raw.get("attached", False)),
            detached_penalty=float(raw.get("detached_penalty", 1.0)),
            decisive=bool(raw.get("decisive", False)),
        )
        for where, raw in _entries(data, "asks", AskRule)
    ]
    expand = [
        Expansion(
            str(_get(raw, "name", where)),
            _pattern(raw, "question", where),
            tuple(_get(raw, "forms", where)),
            raw.get("unless_concept"),
        )
        for where, raw in _entries(data, "expand", Expansion)
    ]
    penalties = data.get("penalties", {})
    _known(penalties, {f.name for f in fields(Penalties)}, "penalties")
    return QuestionRules(
        tuple(data.get("stop_phrases", ())),
        tuple(data.get("how_words", ())),
        tuple(data.get("meta_words", ())),
        tuple(asks),
        tuple(expand),
        Penalties(**penalties),
    )


def _entries(data: dict[str, Any], key: str, kind: type[AskRule] | type[Expansion]) -> list[tuple[str, dict[str, Any]]]:
    """(where, entry) of an array of tables, each checked for unknown keys."""
    out = []
    for i, raw in enumerate(data.get(key, [])):
        where = f"{key}[{i}] {raw.get('name', '')}"
        _known(raw, {f.name for f in fields(kind)}, where)
        out.append((where, raw))
    return out


def _get(raw: dict[str, Any], key: str, where: str) -> Any:
    try:
        return raw[key]
    except KeyError:
        raise QuestionRulesError(f"{where}: missing {key}") from None


def _known(raw: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise QuestionRulesError(f"{where}: unknown key(s) {', '.join(unknown)}")


def _pattern(raw: dict[str, Any], key: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(_get(raw, key, where))
    except re.error as exc:
        raise QuestionRulesError(f"{where}: {key} is not a valid regular expression ({exc})") from None
