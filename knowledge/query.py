"""Turn a colloquial chat question into weighted search clauses.

A clause is one thing the question asks about: a single bigram of ordinary text, or a
glossary concept with alternative spellings (typed form, canonical form, synonyms,
related concepts). Scoring takes the best alternative per clause, so writing 七一表彰
instead of 两优一先 costs nothing, and the clause list is also what explain() shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .glossary import Glossary
from .homophones import HomophoneFixer
from .question_rules import QuestionRules, bundled_rules
from .tokenize import bigrams, normalize, terms

# How much an alternative spelling counts relative to what the user typed.
SYNONYM_FACTOR = 0.9
RELATED_FACTOR = 0.5
# A bigram that straddles two segmented words ("象公" in 发展对象|公示) is weak evidence.
CROSS_WORD_WEIGHT = 0.35
# Part-of-speech tags (jieba's) of words that name a thing: n, nz, ng, vn (考试), an.
NOUN_TAGS = ("n", "vn", "an")


@dataclass(frozen=True)
class Alternative:
    """One way of expressing a clause, as index terms."""

    text: str
    terms: tuple[str, ...]
    factor: float = 1.0


@dataclass
class Clause:
    """One unit of meaning in the question."""

    label: str
    alternatives: list[Alternative]
    weight: float = 1.0
    concept: str | None = None  # canonical glossary form, when from the glossary
    asked: bool = False  # right after 怎么/如何…: the action asked about (怎么处理), not the topic


@dataclass
class Query:
    """An analysed question."""

    question: str
    normalized: str
    core: str  # canonicalized, filler removed: what fuzzy FAQ matching compares
    clauses: list[Clause] = field(default_factory=list)
    fixes: list[tuple[str, str]] = field(default_factory=list)
    asks: tuple[str, ...] = ()  # question-word rules it uses (data/question_rules.toml)
    # Dictionary nouns of the question (名额, 公积金…), filler and words about the
    # documents themselves (条款, 讲话…) left out: what the question is about. One the
    # knowledge base never mentions is the strongest sign of a question it cannot answer.
    nouns: tuple[str, ...] = ()

    @property
    def wants_quantity(self) -> bool:
        """Asks 几天/多久/多少…: an answer must state a number."""
        return "quantity" in self.asks

    @property
    def wants_duration(self) -> bool:
        """Asks 多久/几年…: the number must be a length of time."""
        return "duration" in self.asks

    @property
    def is_empty(self) -> bool:
        """No topic words at all (greetings, '在吗', punctuation)."""
        return not self.clauses


class Segmenter:
    """Optional rjieba word segmentation, taught the glossary's words.

    Segmentation only down-weights bigrams that straddle words; without rjieba every
    bigram simply counts fully, which is the char n-gram baseline.
    """

    def __init__(self, glossary: Glossary, enabled: bool = True) -> None:
        self._jieba = None
        if not enabled:
            return
        try:
            import rjieba
        except ImportError:  # optional dependency
            return
        self._jieba = rjieba.Jieba()
        for entry in glossary.entries:
            for form in entry.forms:
                if len(form) >= 2:
                    self._jieba.add_word(form, None, None)

    @property
    def enabled(self) -> bool:
        """Whether a real segmenter is in use."""
        return self._jieba is not None

    def words(self, run: str) -> list[str]:
        """Words of a CJK run (the run itself when no segmenter is available)."""
        if self._jieba is None:
            return [run]
        return [w for w in self._jieba.cut(run, True) if w.strip()]

    def exact_words(self, run: str) -> list[str]:
        """Dictionary-only segmentation (no HMM guessing of unknown words): characters
        left single are not part of any known word, which is how typos show up."""
        if self._jieba is None:
            return list(run)
        return list(self._jieba.cut(run, False))

    def nouns(self, text: str) -> list[str]:
        """Dictionary words of ``text`` tagged as nouns (no HMM guessing: a word made up
        of a typo or of two words run together is not a noun of the question)."""
        if self._jieba is None:
            return []
        return [w for w, tag in self._jieba.tag(text, False) if tag.startswith(NOUN_TAGS) and len(w) >= 2]

    def has_word(self, word: str) -> bool:
        """Whether ``word`` is in the segmenter's dictionary (glossary forms included)."""
        return self._jieba is not None and bool(self._jieba.has_word(word))


def _straddles(word: str, text: str, inside: set[int]) -> bool:
    """Whether every occurrence of ``word`` in ``text`` runs across the edge of a glossary
    match (党费用来 tagged 党|费用|来: 费用 is half of 党费), i.e. it is a cut of the
    segmenter's, not a word of the question."""
    spans = [range(m.start(), m.start() + len(word)) for m in re.finditer(re.escape(word), text)]
    return bool(spans) and all(0 < sum(i in inside for i in span) < len(span) for span in spans)


def analyse(
    question: str,
    glossary: Glossary,
    segmenter: Segmenter | None = None,
    homophones: HomophoneFixer | None = None,
    rules: QuestionRules | None = None,
) -> Query:
    """Analyse a question into clauses (see module docstring). ``homophones`` (bound to
    the index being searched) corrects wrong-character typos the glossary does not list;
    ``rules``: the question words (default: the bundled data/question_rules.toml)."""
    rules = rules or bundled_rules()
    norm = normalize(question)
    fixed, fixes = glossary.correct_typos(norm)
    fixed, near = glossary.fix_near_misses(fixed)
    fixes += near
    if homophones is not None:
        fixed, sounds = homophones.fix(fixed)
        fixes += sounds
    # Tagged once (≈ 0.05 ms), again only when a word the corpus lacks was fixed by sound.
    tagged = segmenter.nouns(fixed) if segmenter is not None else []
    if homophones is not None and tagged:
        fixed, whole = homophones.fix_absent_words(fixed, tagged)
        if whole:
            fixes += whole
            tagged = segmenter.nouns(fixed) if segmenter is not None else []
    clauses: list[Clause] = []
    seen_terms: set[str] = set()
    inside: set[int] = set()  # positions covered by glossary matches
    for m in glossary.find(fixed):
        inside.update(range(m.start, m.end))
        entry = m.entry
        alts: list[Alternative] = []
        for form in (m.surface, *entry.forms):
            factor = 1.0 if form == m.surface else SYNONYM_FACTOR
            if all(a.text != form for a in alts):
                alts.append(Alternative(form, tuple(terms(form)), factor))
        for rel in entry.related:
            rel_entry = glossary.entry(rel)
            for form in rel_entry.forms if rel_entry else (rel,):
                alts.append(Alternative(form, tuple(terms(form)), RELATED_FACTOR))
        alts = [a for a in alts if a.terms]
        if alts and entry.canonical not in {c.concept for c in clauses}:
            asked = fixed[: m.start].rstrip().endswith(rules.how_words)
            clauses.append(Clause(m.surface, alts, 1.0, entry.canonical, asked))
            seen_terms.update(alts[0].terms)  # what was typed; not the expansions

    # Text outside glossary matches; matched spans stay visible as "\0" so that bigrams
    # straddling a match edge ("员预" in 预备党员|预备期) are known to be weak.
    plain = "".join("\0" if i in inside else ch for i, ch in enumerate(fixed))
    plain = rules.strip_stop_phrases(plain)
    for chunk in plain.split():
        for term, weight in _pieces(chunk.replace("\0", " "), segmenter):
            if term in seen_terms:
                continue
            seen_terms.add(term)
            alts = [Alternative(term, (term,)), *_numeral_forms(term, fixed)]
            clauses.append(Clause(term, alts, weight))
    for exp in rules.expand:
        found = exp.question.search(fixed)
        named = exp.unless_concept is not None and any(c.concept == exp.unless_concept for c in clauses)
        if found and not named:
            alts = [Alternative(f, tuple(terms(f)), 1.0 if i == 0 else SYNONYM_FACTOR) for i, f in enumerate(exp.forms)]
            clauses.append(Clause(found.group(), alts, 1.0))
    core = rules.strip_stop_phrases(glossary.canonicalize(fixed))
    core = "".join(ch for ch in core if ch.isalnum())
    nouns = tuple(dict.fromkeys(n for n in tagged if rules.is_topic(n) and not _straddles(n, fixed, inside)))
    return Query(question, norm, core, clauses, fixes, rules.asked(fixed), nouns)


def _pieces(chunk: str, segmenter: Segmenter | None) -> list[tuple[str, float]]:
    """(term, weight) pairs of a filler-free chunk of text."""
    out: list[tuple[str, float]] = []
    for t in terms(chunk):
        if len(t) != 2 or t.isascii():
            out.append((t, 1.0))
    cjk = "".join(ch if not ch.isascii() else " " for ch in chunk)
    for run in cjk.split():
        words = segmenter.words(run) if segmenter else [run]
        for i, w in enumerate(words):
            out.extend((b, 1.0) for b in bigrams(w))
            if i + 1 < len(words):
                out.append((w[-1] + words[i + 1][0], CROSS_WORD_WEIGHT))
    return out


_DIGITS = "零一二三四五六七八九"
# Units a number is counted in (岁, 个月, 名…): spelled out together with the numeral.
MEASURE_WORDS = "岁个年月日天周次名人届期倍号"


def chinese_numeral(n: int) -> str:
    """1..99 as regulations write them: 十八, 二十四, 三."""
    tens, ones = divmod(n, 10)
    if not tens:
        return _DIGITS[ones]
    head = "" if tens == 1 else _DIGITS[tens]
    return head + "十" + (_DIGITS[ones] if ones else "")


def _numeral_forms(term: str, text: str) -> list[Alternative]:
    """How the regulations spell a number staff type in digits (18岁 → 十八岁, 3个月 →
    三个月, 2名 → 两名): the texts write 年满十八岁, so the digits alone match nothing.
    A one-character numeral is only a term together with the unit typed after it."""
    if not term.isdigit() or not 0 < int(term) < 100:
        return []
    at = text.find(term)
    unit = text[at + len(term) : at + len(term) + 1] if at >= 0 else ""
    unit = unit if unit in MEASURE_WORDS else ""
    spelled = chinese_numeral(int(term))
    forms = [spelled + unit] + (["两" + unit] if spelled == "二" and unit else [])
    return [Alternative(f, tuple(terms(f)), SYNONYM_FACTOR) for f in forms if terms(f)]
