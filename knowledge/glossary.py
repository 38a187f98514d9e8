"""The maintained glossary of abbreviations, slogans and typos (data/glossary.tsv).

Staff type 七一表彰 when the rules say 两优一先, 后被 when they mean 后备, 3会1课 for
三会一课. Keeping these in a plain TSV shipped with the package lets an administrator fix
the list without touching code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .homophones import sounds_alike
from .tokenize import normalize

FUZZY_MIN_LEN = 5  # 4-character forms differ from real words by one character too often


@dataclass(frozen=True)
class GlossaryEntry:
    """One concept: its canonical form and the ways people write it."""

    canonical: str
    synonyms: tuple[str, ...] = ()
    typos: tuple[tuple[str, str], ...] = ()
    related: tuple[str, ...] = ()

    @property
    def forms(self) -> tuple[str, ...]:
        """Canonical form first, then the synonyms (typos are corrected, not searched)."""
        return (self.canonical, *self.synonyms)


@dataclass(frozen=True)
class GlossaryMatch:
    """A glossary form found in a question."""

    start: int
    end: int
    surface: str
    entry: GlossaryEntry


@dataclass
class Glossary:
    """Lookup structure over the entries; built once, read-only afterwards."""

    entries: list[GlossaryEntry] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_form: dict[str, GlossaryEntry] = {}
        self._by_canonical: dict[str, GlossaryEntry] = {}
        self._typos: dict[str, str] = {}
        for e in self.entries:
            self._by_canonical[e.canonical] = e
            for form in e.forms:
                self._by_form.setdefault(form, e)
            for typo, fix in e.typos:
                self._typos[typo] = fix
        self._form_re = _alternation(self._by_form)
        self._typo_re = _alternation(self._typos)
        # For one-character typos of long forms (入党介绍仁 -> 入党介绍人): candidates are
        # found by an exact 2-character prefix or suffix, then checked character by character.
        self._by_edge: dict[tuple[int, str], list[str]] = {}
        for form in self._by_form:
            if len(form) >= FUZZY_MIN_LEN:
                self._by_edge.setdefault((len(form), "^" + form[:2]), []).append(form)
                self._by_edge.setdefault((len(form), "$" + form[-2:]), []).append(form)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Glossary:
        """Read the TSV (the packaged one when ``path`` is None)."""
        if path is None:
            text = resources.files("knowledge").joinpath("data/glossary.tsv").read_text("utf-8")
        else:
            text = Path(path).read_text("utf-8")
        return cls(parse_glossary(text))

    def correct_typos(self, text: str) -> tuple[str, list[tuple[str, str]]]:
        """Replace known typos by canonical forms; also return (typo, fix) pairs."""
        if self._typo_re is None:
            return text, []
        fixes: list[tuple[str, str]] = []

        def fix(m: re.Match[str]) -> str:
            fixes.append((m.group(), self._typos[m.group()]))
            return self._typos[m.group()]

        return self._typo_re.sub(fix, text), fixes

    def fix_near_misses(self, text: str) -> tuple[str, list[tuple[str, str]]]:
        """Correct a single wrong homophone character inside a long glossary form
        (培养连系人); forms shorter than FUZZY_MIN_LEN are too ambiguous for this."""
        if not self._by_edge:
            return text, []
        fixes: list[tuple[str, str]] = []
        lengths = sorted({n for n, _ in self._by_edge}, reverse=True)
        i = 0
        out = text
        while i < len(out):
            fixed = False
            for n in lengths:
                window = out[i : i + n]
                if len(window) < n or window in self._by_form:
                    continue
                cands = self._by_edge.get((n, "^" + window[:2]), []) + self._by_edge.get((n, "$" + window[-2:]), [])
                for form in cands:
                    diff = [k for k in range(n) if form[k] != window[k]]
                    # Only a homophone slip counts: 党员活动证 is a real thing, not a
                    # typo of 党员活动日, and 列发展对象 is 列 + 发展对象.
                    k = diff[0] if len(diff) == 1 else -1
                    if k >= 0 and not window[k].isascii() and sounds_alike(window[k], form[k]):
                        fixes.append((window, form))
                        out = out[:i] + form + out[i + n :]
                        i += n
                        fixed = True
                        break
                if fixed:
                    break
            if not fixed:
                i += 1
        return out, fixes

    def find(self, text: str) -> list[GlossaryMatch]:
        """Non-overlapping glossary forms in ``text``, longest match first at each spot."""
        if self._form_re is None:
            return []
        return [
            GlossaryMatch(m.start(), m.end(), m.group(), self._by_form[m.group()]) for m in self._form_re.finditer(text)
        ]

    def entry(self, canonical: str) -> GlossaryEntry | None:
        """The entry whose canonical form is ``canonical``."""
        return self._by_canonical.get(canonical)

    def canonicalize(self, text: str) -> str:
        """Rewrite every known form to its canonical form (for fuzzy FAQ comparison)."""
        text, _ = self.correct_typos(text)
        if self._form_re is None:
            return text
        return self._form_re.sub(lambda m: self._by_form[m.group()].canonical, text)


def _alternation(words: Mapping[str, object]) -> re.Pattern[str] | None:
    if not words:
        return None
    ordered = sorted(words, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, ordered)))


def parse_glossary(text: str) -> list[GlossaryEntry]:
    """Parse glossary TSV text; forms are normalized like questions are."""

    def split(col: str) -> tuple[str, ...]:
        return tuple(normalize(x.strip()) for x in col.split("|") if x.strip())

    entries: list[GlossaryEntry] = []
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        cols = [*raw.split("\t"), "", "", "", ""]
        canonical = normalize(cols[0].strip())
        if not canonical:
            continue
        typos = tuple((t.split(">", 1)[0], t.split(">", 1)[1]) if ">" in t else (t, canonical) for t in split(cols[2]))
        entries.append(GlossaryEntry(canonical, split(cols[1]), typos, split(cols[3])))
    return entries
