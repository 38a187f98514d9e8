"""Correct wrong homophones typed through a pinyin input method (党令 → 党龄, 转证 → 转正).

Staff type by pinyin, so the commonest typo is the right syllable with the wrong
character. The glossary lists the typos someone already noticed; this catches the rest
by sound: a question bigram that the corpus does not know is replaced when changing one
character to a homophone (same main toneless reading) gives a dictionary word that the
corpus does use.

Why these guards: a "fix" that rewrites a correct word is worse than no fix (an
off-topic question could be dragged onto a policy passage). So a bigram is only touched
when (1) it is absent from the index (or far rarer than the fix), (2) both its
characters are left single by dictionary segmentation, i.e. a slip broke a word apart
(党令 → 党|令; real words such as 党纪 or 国庆 are never touched), (3) the characters
share their *main* reading (批 pi is also a reading of 否: 能批 must not become 能否),
and (4) the replacement is a real word (segmenter dictionary or glossary) that a fair
share of the passages use.

Cost: the character → pinyin table is built once per process through pypinyin's public
``pinyin()`` (~0.3 s for the 21k common characters, each looked up alone so that no
phrase reading leaks in; its phrase dictionary is switched off, see _load_tables).
pypinyin is a hard dependency: building the table without it raises, so the feature
can never switch itself off silently. Per index, each syllable's character list is cut to the characters the corpus uses, and
the index vocabulary itself answers "does the corpus know this bigram". A question
costs a few hundred dictionary look-ups at most (~0.05 ms typical).
"""

from __future__ import annotations

import os
import re
import sys
import threading
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .glossary import Glossary
    from .index import PassageIndex
    from .query import Segmenter

# The typed bigram may occur in the corpus, but this many times less often than the fix
# (a large corpus contains almost any character pair somewhere, e.g. across words).
RARITY = 50
# A fix must be a word the corpus really uses, not one that turns up by accident in a
# large corpus (人理 in ...人理解...): at least one passage in this many.
COMMON_SHARE = 1000
_CJK_FIRST, _CJK_LAST = 0x4E00, 0x9FFF  # IME typos are common characters

_lock = threading.Lock()
_tables: tuple[dict[str, tuple[str, ...]], dict[str, str]] | None = None


def _toneless(syllable: str) -> str:
    """lǜ → lv, dǎng → dang (ü kept apart from u, as IMEs type it with v)."""
    decomposed = unicodedata.normalize("NFD", syllable).replace("u\u0308", "v")
    return sys.intern("".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def _load_tables() -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """(character → toneless readings, main reading first; main reading → characters)."""
    global _tables
    with _lock:
        if _tables is not None:
            return _tables
        # pypinyin's documented switches: only single characters are read here, so its
        # ~50 MiB phrase dictionary is not loaded (imported late, on first use, for the
        # same reason). Without pypinyin this raises: the feature never turns off quietly.
        os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
        os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")
        from pypinyin import Style, pinyin

        chars = [chr(code) for code in range(_CJK_FIRST, _CJK_LAST + 1)]
        # A list is taken as pre-split words: every character is read alone. A character
        # without a reading comes back as "-" (kept, so the output stays aligned).
        found = pinyin(chars, style=Style.TONE, heteronym=True, errors=lambda text: "-")
        readings: dict[str, tuple[str, ...]] = {}
        by_reading: dict[str, list[str]] = {}
        for ch, raw in zip(chars, found, strict=True):
            plain = tuple(dict.fromkeys(_toneless(r) for r in raw if r != "-"))
            if not plain:
                continue
            readings[ch] = plain
            by_reading.setdefault(plain[0], []).append(ch)
        if len(readings) < len(chars) // 2:
            raise RuntimeError(f"pypinyin gave readings for only {len(readings)} common characters")
        _tables = readings, {r: "".join(chars) for r, chars in by_reading.items()}
        return _tables


def sounds_alike(a: str, b: str) -> bool:
    """Whether two characters share a toneless reading."""
    readings = _load_tables()[0]
    return bool(set(readings.get(a, ())) & set(readings.get(b, ())))


class HomophoneFixer:
    """Homophone correction against one index (built per index snapshot, in ~0.1 s)."""

    def __init__(self, index: PassageIndex, glossary: Glossary, segmenter: Segmenter | None = None) -> None:
        self.index = index
        readings, by_reading = _load_tables()  # once per process (~0.1 s), not in a question
        # Only characters the corpus uses can make a fix, so each syllable's character
        # list shrinks to those: fewer look-ups per question, a few hundred KiB per index.
        used = set("".join(index.vocab)) | {ch for e in glossary.entries for f in e.forms for ch in f}
        self._by_reading = {
            r: kept for r, chars in by_reading.items() if (kept := "".join(c for c in chars if c in used))
        }
        self._readings = readings
        self.segmenter = segmenter if segmenter is not None and segmenter.enabled else None
        # Two-character glossary forms are words even if the segmenter does not know them.
        self._glossary_words = {f for e in glossary.entries for f in e.forms if len(f) == 2}
        self._glossary_bigrams = {f[i : i + 2] for e in glossary.entries for f in e.forms for i in range(len(f) - 1)}

    def _is_word(self, bigram: str) -> bool:
        if bigram in self._glossary_words:
            return True
        if self.segmenter is not None:
            return self.segmenter.has_word(bigram)
        return False

    def _loose(self, run: str) -> list[bool]:
        """Per character: True when segmentation leaves it as a single-character word,
        i.e. it is not part of any known word with its neighbours."""
        if self.segmenter is None:
            # No dictionary: a character is loose when neither bigram it is part of is
            # known to the corpus (weaker, so fixes also need a glossary word, below).
            df = self.index.df
            return [
                not (i > 0 and df(run[i - 1 : i + 1])) and not (i + 1 < len(run) and df(run[i : i + 2]))
                for i in range(len(run))
            ]
        out: list[bool] = []
        for word in self.segmenter.exact_words(run):
            out.extend([len(word) == 1] * len(word))
        return out if len(out) == len(run) else [False] * len(run)

    def fix(self, text: str) -> tuple[str, list[tuple[str, str]]]:
        """``text`` with homophone typos replaced, and the (typed, fixed) bigram pairs."""
        if self.index.n == 0:
            return text, []
        chars = list(text)
        fixes: list[tuple[str, str]] = []
        for m in re.finditer(r"[\u4e00-\u9fff]{2,}", text):
            start, run = m.start(), m.group()
            loose = self._loose(run)
            for i in range(len(run) - 1):
                if not (loose[i] and loose[i + 1]):
                    # A slip breaks a word into two stranded characters (党令 → 党|令);
                    # a character that forms a word with its other neighbour was meant.
                    continue
                a, b = start + i, start + i + 1
                typed = chars[a] + chars[b]
                if self._is_word(typed):
                    continue
                best = self._best_fix(chars[a], chars[b])
                if best is not None:
                    chars[a], chars[b] = best[0], best[1]
                    loose[i] = loose[i + 1] = False
                    fixes.append((typed, best))
        return "".join(chars), fixes

    def fix_absent_words(self, text: str, words: list[str]) -> tuple[str, list[tuple[str, str]]]:
        """``text`` with two-character dictionary ``words`` that no passage contains
        replaced by a same-sounding word the corpus uses (拟列发展对象公式几天: 公式 is a
        word, so ``fix`` leaves it, but the documents only say 公示). A real word the
        corpus lacks is otherwise a topic the documents do not cover, and the question is
        declined for it; one character away by sound from a common word of theirs, it is
        far likelier the input method's pick."""
        fixes: list[tuple[str, str]] = []
        for word in dict.fromkeys(words):
            if len(word) != 2 or self.index.df(word) or not all(_CJK_FIRST <= ord(c) <= _CJK_LAST for c in word):
                continue
            best = self._best_fix(word[0], word[1])
            if best is not None:
                text = text.replace(word, best)
                fixes.append((word, best))
        return text, fixes

    def _best_fix(self, first: str, second: str) -> str | None:
        """The most frequent known word differing from ``first+second`` in one homophone
        character, if it is much more frequent than the typed pair."""
        vocab, df, glossary_bigrams = self.index.vocab, self.index.df, self._glossary_bigrams
        best, best_score = None, df(first + second) * RARITY
        floor = max(1, self.index.n // COMMON_SHARE)
        for pos in (1, 0):  # the second character is the likelier slip
            typed = second if pos else first
            # Both characters are compared by their main reading: the input method
            # offered the typed character for the syllable typed, and rare readings
            # (批 pi = 否 pi, 还 fu = 不 fu) would only invent look-alike words.
            main = self._readings.get(typed, ("",))[0]
            for ch in self._by_reading.get(main, ""):
                cand = first + ch if pos else ch + second
                if ch == typed or (cand not in vocab and cand not in glossary_bigrams):
                    continue
                score = df(cand)
                if cand in glossary_bigrams:
                    score = max(score, floor)
                if score <= best_score or score < floor:
                    continue
                if self.segmenter is None and cand not in self._glossary_words:
                    continue  # without a dictionary only glossary words are trusted
                if self._is_word(cand):
                    best, best_score = cand, score
        return best
