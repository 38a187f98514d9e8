"""Structure-aware splitting of Chinese policy text into citable passages.

Regulations are cited by article (第十四条), so an article with its （一）（二） items is one
passage. Speeches and reports have no articles; they nest 一、 › （一） › 1. › 第一，
headings, and each numbered paragraph (or plain paragraph under a heading) becomes a
passage whose locator is that heading path. The locator is the citation, so it must be
exact and stable across re-imports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from .parsing import Line

_NUM = "一二三四五六七八九十百零〇两"
_CN_NUM = f"[{_NUM}\\d]+"

# (kind, pattern, level). Levels order headings: a new heading closes deeper ones.
_STRUCTURE: list[tuple[str, re.Pattern[str], int]] = [
    ("part", re.compile(rf"^第{_CN_NUM}编(?:\s+|$)"), 0),
    ("chapter", re.compile(rf"^第{_CN_NUM}章(?:\s+|$)"), 1),
    ("section", re.compile(rf"^第{_CN_NUM}节(?:\s+|$)"), 2),
]
_ARTICLE = re.compile(rf"^(第{_CN_NUM}条)(?:\s+|$|(?=[\u4e00-\u9fff]))")
_NUMBERED: list[tuple[re.Pattern[str], int]] = [
    (re.compile(rf"^([{_NUM}]+、)"), 3),
    (re.compile(rf"^([（(][{_NUM}]+[）)])"), 4),
    (re.compile(r"^(\d{1,2}[.．、])(?!\d)"), 5),
    (re.compile(rf"^(第[{_NUM}]+[，,、:：])"), 6),
    (re.compile(rf"^([{_NUM}]要)(?=[\u4e00-\u9fff])"), 6),  # 一要有坚定的政治立场。
]
_META_LINE = re.compile(r"^(时间|导语|来源|作者|发布时间|编辑|责任编辑|浏览次数)\s*[:：]")
_SENTENCE = re.compile(r"[^。；;！!？?]*[。；;！!？?]?")

MAX_PASSAGE_CHARS = 1200
CHUNK_CHARS = 600
MIN_PASSAGE_CHARS = 6
COMPONENT_CHARS = 16
PREAMBLE_LOCATOR = "题注"


@dataclass
class Passage:
    """A citable unit of a document."""

    seq: int
    locator: str  # e.g. "第二章 › 第十四条" or "二、 › （一） › 2."
    heading: str  # full heading titles of the path, for context and indexing
    text: str


@dataclass
class DocumentMeta:
    """Facts about a document found in its text (all optional)."""

    title: str = ""
    issuer: str | None = None
    issued: date | None = None
    effective: date | None = None
    revised: date | None = None


@dataclass
class SplitDocument:
    """A document cut into passages."""

    meta: DocumentMeta
    passages: list[Passage] = field(default_factory=list)


@dataclass
class _Heading:
    level: int
    label: str
    title: str


def clean_title(text: str) -> str:
    """Title without book-title marks or spaces: the key that links document versions."""
    return re.sub(r"[《》〈〉\s]", "", text)


def display_title(text: str) -> str:
    """Title as shown: without book-title marks, runs of spaces collapsed, and spaces
    dropped only where they never belong (next to a CJK character or punctuation mark,
    e.g. a PDF's 中国共产党 发展党员工作细则); "Real regulation texts" keeps its spaces."""
    text = re.sub(r"\s+", " ", re.sub(r"[《》〈〉]", "", text)).strip()
    return re.sub(r"(?<=[^\x00-\x7f]) | (?=[^\x00-\x7f])", "", text)


def citation(title: str, locator: str) -> str:
    """Human citation: 《title》第十四条 for articles, 《title》 › path otherwise."""
    parts = [p for p in locator.split(" › ") if p]
    if parts and _ARTICLE.match(parts[-1]):
        return f"《{title}》" + "".join(p for p in parts if _ARTICLE.match(p))
    return f"《{title}》" + (" " + locator if locator else "")


def split_document(lines: list[Line], fallback_title: str = "") -> SplitDocument:
    """Cut a document's lines into passages (see module docstring)."""
    meta, passages, body = _front_matter(lines, fallback_title)
    walk = _Walk(body, passages)
    for pos, ln in enumerate(body):
        walk.take(pos, ln)
    walk.close_article()
    for i, p in enumerate(passages):
        p.seq = i
    return SplitDocument(meta, passages)


def _front_matter(lines: list[Line], fallback_title: str) -> tuple[DocumentMeta, list[Passage], list[Line]]:
    """The title, a dated preamble line (its own passage) and the body lines left."""
    meta = DocumentMeta()
    body = list(lines)
    while body and _META_LINE.match(body[0].text):
        body.pop(0)
    if body and _looks_like_title(body[0]):
        meta.title = display_title(body.pop(0).text)
    else:
        meta.title = display_title(fallback_title)
    passages: list[Passage] = []
    if body and re.match(r"^[（(].*\d{4}年.*[）)]$", body[0].text):
        preamble = body.pop(0).text
        _parse_preamble(preamble, meta)
        passages.append(Passage(0, PREAMBLE_LOCATOR, "", preamble))
    body = [ln for ln in body if not _META_LINE.match(ln.text) and clean_title(ln.text) != clean_title(meta.title)]
    return meta, passages, body


class _Walk:
    """One pass over the body lines: the open heading path, the article being read, and
    the passages emitted so far. Each kind of line has its own step."""

    def __init__(self, body: list[Line], passages: list[Passage]) -> None:
        self.body = body
        self.passages = passages
        self.stack: list[_Heading] = []
        self.article: tuple[list[_Heading], str, list[str]] | None = None
        self.para_count: dict[str, int] = {}

    def take(self, pos: int, ln: Line) -> None:
        """Route one line: heading, article, article continuation, numbered, paragraph."""
        text = ln.text
        if ln.level is not None:  # explicit heading (Markdown / Word style)
            self.close_article()
            self.push(10 + ln.level, text[:40], "")
        elif self.structural(text) or self.article_start(text):
            return  # taken: a 编/章/节 heading, or the first line of an article
        elif self.article is not None:  # items （一）… and follow-on paragraphs of an article
            self.article[2].append(text)
        elif not self.numbered(pos, text):
            self.paragraph(text)

    def structural(self, text: str) -> bool:
        """编 / 章 / 节 headings."""
        found = next(((m, lv) for _k, p, lv in _STRUCTURE if (m := p.match(text))), None)
        if found is None:
            return False
        self.close_article()
        m, level = found
        self.push(level, m.group().strip(), text[m.end() :].strip())
        return True

    def article_start(self, text: str) -> bool:
        """第N条 opens an article, which collects lines until the next one."""
        m = _ARTICLE.match(text)
        if m is None:
            return False
        self.close_article()
        self.article = (list(self.stack), m.group(1), [text])
        return True

    def numbered(self, pos: int, text: str) -> bool:
        """一、 / （一） / 1. / 第一， lines: a heading, or a leaf item with its text."""
        found = next(((nm, lv) for p, lv in _NUMBERED if (nm := p.match(text))), None)
        if found is None:
            return False
        m, level = found
        rest = text[m.end() :].strip()
        first = _SENTENCE.match(text)
        title = (first.group() if first else text).rstrip("。；;，,:：")[:60]
        self.push(level, _component(text), title)
        following = self.body[pos + 1] if pos + 1 < len(self.body) else None
        if not _is_pure_heading(rest) or (_is_sentence(rest) and not _opens_content(following, level)):
            # A numbered paragraph with body text is a leaf item, not a container:
            # the next plain paragraph belongs to the enclosing heading again. So is
            # a one-sentence numbered line with nothing under it: in a notice
            # (一、节假日值班安排由办公室负责。二、…) the numbered lines are the content.
            self.emit(self.path_locator(), self.path_heading(), text)
            self.stack.pop()
        return True

    def paragraph(self, text: str) -> None:
        """A plain paragraph: 第N段 under the current heading path."""
        if len(text) < MIN_PASSAGE_CHARS:  # 同志们： and similar salutations
            return
        key = self.path_locator()
        self.para_count[key] = self.para_count.get(key, 0) + 1
        self.emit(self.path_locator(f"第{self.para_count[key]}段"), self.path_heading(), text)

    def path_locator(self, extra: str | None = None) -> str:
        labels = [h.label for h in self.stack] + ([extra] if extra else [])
        return " › ".join(labels)

    def path_heading(self) -> str:
        return " › ".join(_heading_text(h) for h in self.stack)

    def emit(self, locator: str, heading: str, text: str) -> None:
        if len(text) < MIN_PASSAGE_CHARS:
            return
        for i, chunk in enumerate(_chunks(text)):
            loc = locator if i == 0 else f"{locator}（续{i}）"
            self.passages.append(Passage(len(self.passages), loc, heading, chunk))

    def close_article(self) -> None:
        if self.article is not None:
            saved_stack, label, texts = self.article
            labels = [h.label for h in saved_stack] + [label]
            heading = " › ".join(_heading_text(h) for h in saved_stack)
            self.emit(" › ".join(labels), heading, "\n".join(texts))
            self.article = None

    def push(self, level: int, label: str, title: str) -> None:
        while self.stack and self.stack[-1].level >= level:
            self.stack.pop()
        self.stack.append(_Heading(level, label, title))


def _heading_text(h: _Heading) -> str:
    if h.title.startswith(h.label.rstrip("…")):
        return h.title
    return f"{h.label} {h.title}".strip()


def _component(line: str) -> str:
    """Locator component of a numbered line: its verbatim opening, up to the first
    sentence end, capped. Verbatim (not re-punctuated) so that a citation can be found
    in the source text by plain substring search."""
    head = _SENTENCE.match(line)
    head_text = (head.group() if head else line).rstrip("。；;！!？?")
    return head_text if len(head_text) <= COMPONENT_CHARS else head_text[:COMPONENT_CHARS] + "…"


def _looks_like_title(line: Line) -> bool:
    text = line.text
    if line.level is not None and line.level <= 1:
        return True
    return (
        len(text) <= 50
        and not re.search(r"[。；;！？?]", text)
        and not _ARTICLE.match(text)
        and not any(p.match(text) for _, p, _ in _STRUCTURE)
        and not any(p.match(text) for p, _ in _NUMBERED)
    )


def _is_pure_heading(rest: str) -> bool:
    """A numbered line without body text (一、认清形势，把握大局…) only opens a heading."""
    stripped = rest.rstrip("。")
    return len(rest) <= 60 and not re.search(r"[。；;！？?]", stripped)


def _is_sentence(rest: str) -> bool:
    """The text after a number ends like a sentence (。！？；), not like a title."""
    return bool(re.search(r"[。；;！!？?]$", rest.strip()))


def _opens_content(following: Line | None, level: int) -> bool:
    """Whether the line after a numbered heading of ``level`` belongs under it: a plain
    paragraph or a deeper numbered item does; a sibling, a higher heading, an article
    or the end of the document does not."""
    if following is None or following.level is not None:
        return False
    text = following.text
    if _ARTICLE.match(text) or any(p.match(text) for _, p, _ in _STRUCTURE):
        return False
    deeper = next((lv for p, lv in _NUMBERED if p.match(text)), None)
    return deeper is None or deeper > level


def _chunks(text: str) -> list[str]:
    """Split over-long units at sentence ends, so one passage stays quotable."""
    if len(text) <= MAX_PASSAGE_CHARS:
        return [text]
    chunks: list[str] = []
    current = ""
    for sentence in (s for s in _SENTENCE.findall(text) if s):
        if current and len(current) + len(sentence) > CHUNK_CHARS:
            chunks.append(current)
            current = ""
        current += sentence
    if current:
        chunks.append(current)
    return chunks


_DATE_EVENT = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日([^\d（）()　 ]*?)(发布|印发|修订|施行|审议批准|通过)")


def _parse_preamble(text: str, meta: DocumentMeta) -> None:
    """Read issue/revision dates and the issuing body from a （…发布…） preamble."""
    for m in _DATE_EVENT.finditer(text):
        d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        body, event = m.group(4), m.group(5)
        if event in ("发布", "印发"):
            meta.issued = d
            meta.issuer = body or meta.issuer
        elif event == "修订":
            meta.revised = d
        elif event == "施行":
            meta.effective = d
