"""Compact in-memory BM25 index over passages, persisted to one file.

Why this shape: 100k passages of Chinese produce ~15M (term, passage) postings. Python
dicts of dicts cost ~50 bytes per posting (the ~800 MiB bigram baseline); here postings
live in three flat arrays (passage ids as uint32, BM25 impacts as uint8, per-term
offsets), i.e. ~5 bytes per posting, and the whole index is saved with ``marshal`` so a
restart loads it in well under a second instead of re-tokenizing every passage.
"""

from __future__ import annotations

import marshal
import math
import os
import tempfile
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .tokenize import doc_terms

FORMAT_VERSION = 6
K1 = 1.2
B = 0.75


@dataclass(frozen=True, slots=True)
class IndexedPassage:
    """What the index keeps about one retrievable unit (a passage or an FAQ entry)."""

    ref: int  # kb_passages.id, or kb_faq_entries.id for FAQ entries
    kind: str  # "passage" | "faq"
    doc_id: int  # kb_documents.id (0 for FAQ entries added by hand)
    locator: str
    context: str  # heading path / FAQ tags: indexed, shown in explain
    text: str  # passage text, or the FAQ question (+ alternates)
    answer: str = ""  # FAQ answer: indexed too, but ranking.py trusts it less than the question


def _u32(values: Iterable[int] = ()) -> array:
    return array("I", values)


class PassageIndex:
    """BM25 over character bigrams with packed postings."""

    def __init__(
        self,
        items: list[IndexedPassage],
        vocab: dict[str, int],
        offsets: array,
        post_docs: array,
        post_imp: array,
        doc_len: array,
    ) -> None:
        self.items = items
        self.vocab = vocab
        self.offsets = offsets
        self.post_docs = post_docs
        # BM25 tf-saturation of each posting, tf*(K1+1)/(tf+K1*(1-B+B*dl/avgdl)), quantized
        # to one byte at build time: the query loop is then one multiply-add per posting.
        self.post_imp = post_imp
        self.doc_len = doc_len
        self.n = len(items)
        self.avgdl = (sum(doc_len) / self.n if self.n else 0.0) or 1.0
        self._idf: dict[str, float] = {}

    # ----- building -------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        items: list[IndexedPassage],
        progress: Callable[[int, int], None] | None = None,
    ) -> PassageIndex:
        """Tokenize every item and pack the postings."""
        # Two passes over flat arrays instead of one growing array per term: per-term
        # array objects alone would cost ~80 bytes x 2 x vocabulary on top of the data.
        vocab: dict[str, int] = {}
        flat_tids = _u32()  # pass 1: (term id, tf) of every posting, passage by passage
        flat_tfs = array("B")
        starts = _u32([0])
        df: list[int] = []
        doc_len = _u32()
        total = len(items)
        for i, item in enumerate(items):
            toks = doc_terms("\n".join((item.context, item.text, item.answer)))
            doc_len.append(len(toks))
            for term, tf in Counter(toks).items():
                tid = vocab.get(term)
                if tid is None:
                    tid = vocab[term] = len(df)
                    df.append(0)
                df[tid] += 1
                flat_tids.append(tid)
                flat_tfs.append(min(tf, 255))
            starts.append(len(flat_tids))
            if progress and (i % 5000 == 0 or i + 1 == total):
                progress(i + 1, total)
        offsets = _u32([0])
        for n in df:
            offsets.append(offsets[-1] + n)
        cursor = list(offsets[:-1])
        size = len(flat_tids)
        post_docs = _u32()
        post_docs.frombytes(bytes(4 * size))
        post_imp = array("B", bytes(size))
        avgdl = (sum(doc_len) / total if total else 0.0) or 1.0  # all-punctuation items have no terms
        for d in range(total):  # pass 2: place postings; passages come in order, so
            norm = K1 * (1 - B + B * doc_len[d] / avgdl)  # each term's list is sorted
            for k in range(starts[d], starts[d + 1]):
                tid = flat_tids[k]
                tf = flat_tfs[k]
                pos = cursor[tid]
                post_docs[pos] = d
                post_imp[pos] = _quantize(tf * (K1 + 1) / (tf + norm))
                cursor[tid] = pos + 1
        return cls(items, vocab, offsets, post_docs, post_imp, doc_len)

    # ----- persistence ----------------------------------------------------------------
    def save(self, path: Path, key: str) -> None:
        """Write atomically (temp file + rename) so a crash never leaves half an index."""
        terms = [""] * len(self.vocab)
        for term, tid in self.vocab.items():
            terms[tid] = term
        header = {
            "format": FORMAT_VERSION,
            "key": key,
            "terms": "\x00".join(terms),
            "sizes": [len(self.offsets), len(self.post_docs), len(self.doc_len)],
            "items": [(it.ref, it.kind, it.doc_id, it.locator, it.context, it.text, it.answer) for it in self.items],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".kbidx-")
        try:
            with os.fdopen(fd, "wb") as fh:
                marshal.dump(header, fh)
                # Raw arrays after the header: no intermediate copies of the postings.
                for arr in (self.offsets, self.post_docs, self.post_imp, self.doc_len):
                    arr.tofile(fh)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path, key: str) -> PassageIndex | None:
        """The saved index, or None when missing, stale (other key) or unreadable."""
        try:
            with open(path, "rb") as fh:
                header = marshal.load(fh)
                if not isinstance(header, dict) or header.get("format") != FORMAT_VERSION:
                    return None
                if header.get("key") != key:
                    return None
                n_off, n_post, n_docs = header["sizes"]
                offsets, docs, imp, dl = _u32(), _u32(), array("B"), _u32()
                offsets.fromfile(fh, n_off)
                docs.fromfile(fh, n_post)
                imp.fromfile(fh, n_post)
                dl.fromfile(fh, n_docs)
        except (OSError, EOFError, ValueError, TypeError, KeyError):
            return None
        terms = header["terms"].split("\x00") if header["terms"] else []
        vocab = {t: i for i, t in enumerate(terms)}
        items = [IndexedPassage(*row) for row in header["items"]]
        return cls(items, vocab, offsets, docs, imp, dl)

    # ----- statistics -----------------------------------------------------------------
    def df(self, term: str) -> int:
        """Number of items containing ``term``."""
        tid = self.vocab.get(term)
        return 0 if tid is None else self.offsets[tid + 1] - self.offsets[tid]

    def idf(self, term: str) -> float:
        """BM25 idf; an unknown term gets the maximum (it is evidence *against* a match)."""
        value = self._idf.get(term)
        if value is None:
            df = self.df(term)
            value = math.log(1.0 + (self.n - df + 0.5) / (df + 0.5))
            if len(self._idf) < 200_000:
                self._idf[term] = value
        return value

    # ----- scoring --------------------------------------------------------------------
    def accumulate(self, term: str, weight: float, acc: dict[int, float]) -> None:
        """Add ``weight * idf * tf-saturation`` of every posting of ``term`` into acc."""
        tid = self.vocab.get(term)
        if tid is None:
            return
        lo, hi = self.offsets[tid], self.offsets[tid + 1]
        w = weight * self.idf(term) / _SCALE
        get = acc.get
        for d, q in zip(self.post_docs[lo:hi], self.post_imp[lo:hi], strict=True):
            acc[d] = get(d, 0.0) + w * q

    def term_score(self, term: str, weight: float, doc: int) -> float:
        """BM25 contribution of one term to one item, found by binary search."""
        tid = self.vocab.get(term)
        if tid is None:
            return 0.0
        lo, hi = self.offsets[tid], self.offsets[tid + 1]
        j = bisect_left(self.post_docs, doc, lo, hi)
        if j >= hi or self.post_docs[j] != doc:
            return 0.0
        return weight * self.idf(term) * self.post_imp[j] / _SCALE


class PostedTerms:
    """The index terms of one item, answered from the postings instead of re-tokenizing
    its text: a binary search per asked term, no memory per item. ``term in`` it is
    true exactly when ``term`` is one of the item's terms (heading path, text, answer)."""

    __slots__ = ("_index", "_pos")

    def __init__(self, index: PassageIndex, pos: int) -> None:
        self._index = index
        self._pos = pos

    def __contains__(self, term: object) -> bool:
        index = self._index
        tid = index.vocab.get(term) if isinstance(term, str) else None
        if tid is None:
            return False
        hi = index.offsets[tid + 1]
        j = bisect_left(index.post_docs, self._pos, index.offsets[tid], hi)
        return j < hi and index.post_docs[j] == self._pos


_SCALE = 255 / (K1 + 1)  # saturation is in (0, K1+1)


def _quantize(sat: float) -> int:
    return max(1, min(255, round(sat * _SCALE)))
