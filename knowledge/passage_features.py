"""What ranking needs to know about one indexed passage, worked out once per index.

Why: every question touches ~24 candidates, and re-tokenizing each candidate's text
(NFKC, regex runs, bigrams), splitting it into sentences, flattening it for concept checks
and scanning it for stated numbers cost most of the ~2-4 ms of CPU a policy question took
on a 130-passage knowledge base, although none of it depends on the question. The index
is immutable, so these facts are computed once: for every item when the snapshot of a
department-sized knowledge base (up to PRECOMPUTE_ITEMS) is built; a larger index keeps
those of the passages questions keep reaching in a small LRU instead, so that a
100k-passage index does not grow by hundreds of MiB for features it rarely reads.
"""

from __future__ import annotations

import re
import sys
import threading
from collections import OrderedDict
from collections.abc import Container
from functools import cached_property

from .index import IndexedPassage, PassageIndex, PostedTerms
from .tokenize import normalize, term_set

SNIPPET_CHARS = 300  # longest quoted window; longer passages are searched sentence by sentence
_SENTENCES = re.compile(r"[^。；;！!？?\n]*[。；;！!？?\n]?")
PRECOMPUTE_ITEMS = 4096  # an index up to this size keeps every item's features (~5-20 KB each)
LRU_ITEMS = 1024  # a larger one keeps this many, most recently ranked first


class PassageFeatures:
    """Question-independent facts about one item, in the forms ranking compares.

    ``terms`` is what every candidate needs: a set for a precomputed item, else the
    index's postings (PostedTerms) for a passage, which are the same terms without
    re-tokenizing. The rest is worked out when first read (only the closely examined
    candidates need sentences and the flat text); ``warm`` works everything out ahead."""

    def __init__(
        self, item: IndexedPassage, context_terms: frozenset[str], terms: Container[str] | None = None
    ) -> None:
        self.item = item
        # Kept for the index's lifetime (terms not given): share term strings, which costs
        # ~25 µs per item once; an LRU entry is not worth that on the question's own time.
        self._terms_of = shared_terms if terms is None else _own_terms
        self.context_terms = context_terms  # index terms of the heading path / FAQ tags
        # What coverage is computed over: the heading path and the text.
        self.terms: Container[str] = context_terms | shared_terms(item.text) if terms is None else terms
        self._states: dict[re.Pattern[str], bool] = {}

    def warm(self) -> PassageFeatures:
        """Work out every lazily computed fact now."""
        for name in ("answer_terms", "sentence_terms", "flat"):
            getattr(self, name)
        return self

    @cached_property
    def answer_terms(self) -> Container[str]:
        """``terms`` plus the FAQ answer's (the same terms for passages)."""
        if not self.item.answer:
            return self.terms
        return self.context_terms | self._terms_of(self.item.text) | self._terms_of(self.item.answer)

    @cached_property
    def sentences(self) -> tuple[str, ...]:
        """Sentences of a text longer than SNIPPET_CHARS (none for a shorter one)."""
        return tuple(split_sentences(self.item.text)) if len(self.item.text) > SNIPPET_CHARS else ()

    @cached_property
    def sentence_terms(self) -> tuple[frozenset[str], ...]:
        """Index terms of each of ``sentences``."""
        return tuple(self._terms_of(s) for s in self.sentences)

    @cached_property
    def flat(self) -> str:
        """Letters, digits and ideographs of context, text and answer (concept spelling)."""
        item = self.item
        return flat_text("\n".join((item.context, item.text, item.answer)))

    def states(self, answer: re.Pattern[str]) -> bool:
        """Whether the text states what ``answer`` (a question rule's) looks for."""
        found = self._states.get(answer)
        if found is None:
            found = self._states[answer] = bool(answer.search(self.item.text))
        return found


def flat_text(text: str) -> str:
    """Normalized letters, digits and ideographs only: 召开“七一”表彰 contains 七一表彰."""
    return "".join(ch for ch in normalize(text) if ch.isalnum())


def split_sentences(text: str) -> list[str]:
    """Sentences with their closing punctuation; blank pieces dropped."""
    return [s for s in _SENTENCES.findall(text) if s.strip()]


def shared_terms(text: str) -> frozenset[str]:
    """``term_set`` with each term interned: items then share one string per distinct
    bigram instead of holding ~80 bytes per term each (half of a kept item's memory)."""
    return frozenset(map(sys.intern, term_set(text)))


def _own_terms(text: str) -> frozenset[str]:
    return frozenset(term_set(text))


class FeatureTable:
    """Features of an index's items by position: all of a small index precomputed, an
    LRU of ``capacity`` items for a large one (``capacity`` 0 keeps nothing).

    Reads come from the event loop; ``precompute`` runs in a worker thread before the
    table is published, and the lock keeps a late precompute and a read from racing."""

    def __init__(self, index: PassageIndex, capacity: int | None = None) -> None:
        self.index = index
        if capacity is None:
            capacity = index.n if index.n <= PRECOMPUTE_ITEMS else LRU_ITEMS
        self.capacity = max(0, capacity)
        self._cache: OrderedDict[int, PassageFeatures] = OrderedDict()
        self._contexts: dict[str, frozenset[str]] = {}  # many passages share a heading path
        self._lock = threading.Lock()
        self.computed = 0  # features computed so far (tests and benchmarks read it)

    def __len__(self) -> int:
        return len(self._cache)

    def precompute(self) -> None:
        """Work out every fact of the first ``capacity`` items: all of a small index (a
        large one's LRU starts with its first items and follows the questions)."""
        for pos in range(min(self.index.n, self.capacity)):
            self.get(pos, kept=True).warm()

    def get(self, pos: int, kept: bool = False) -> PassageFeatures:
        """The features of the item at ``pos`` (worked out now when not in the table;
        ``kept``: as a set of shared strings, for items kept as long as the index)."""
        with self._lock:
            found = self._cache.get(pos)
            if found is not None:
                self._cache.move_to_end(pos)
                return found
            item = self.index.items[pos]
            context = self._contexts.get(item.context)
            if context is None:
                context = shared_terms(item.context) if kept else _own_terms(item.context)
                if len(self._contexts) < max(self.capacity, 1):
                    self._contexts[item.context] = context
            if kept:
                features = PassageFeatures(item, context)
            elif item.kind == "faq":  # its postings include the answer, which terms must not
                features = PassageFeatures(item, context, context | _own_terms(item.text))
            else:
                features = PassageFeatures(item, context, PostedTerms(self.index, pos))
            self.computed += 1
            if self.capacity:
                self._cache[pos] = features
                if len(self._cache) > self.capacity:
                    self._cache.popitem(last=False)
            return features
