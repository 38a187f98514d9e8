"""File readers: turn .txt/.md/.docx/.pdf into a list of logical lines.

Each reader only extracts text and, where the format says so (Markdown '#', Word heading
styles), the heading level. Recognizing 第X章/一、/（一） is the splitter's job, so that
all formats share one structure model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".docx", ".pdf"})
SHEET_SUFFIXES = frozenset({".csv", ".xlsx"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | SHEET_SUFFIXES


class DocumentError(ValueError):
    """A file could not be imported; the message names the file and says why (Chinese)."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name}：{reason}")


@dataclass(frozen=True)
class Line:
    """One paragraph of text; ``level`` is set when the format marks it as a heading."""

    text: str
    level: int | None = None


def read_text_file(path: Path) -> str:
    """Decode a text file: UTF-8 (with or without BOM), else GB18030 (older Windows files)."""
    data = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise DocumentError(path, "无法识别文件编码（请另存为 UTF-8）")


def read_lines(path: Path) -> list[Line]:
    """Logical lines of a document file; raises DocumentError when unreadable or empty."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".txt":
            lines = [Line(t) for t in read_text_file(path).splitlines()]
        elif suffix in (".md", ".markdown"):
            lines = _markdown_lines(read_text_file(path))
        elif suffix == ".docx":
            lines = _docx_lines(path)
        elif suffix == ".pdf":
            lines = _pdf_lines(path)
        else:
            raise DocumentError(path, f"不支持的文件类型 {suffix or '（无扩展名）'}")
    except DocumentError:
        raise
    except Exception as exc:  # corrupt zip, broken PDF, permission error...
        raise DocumentError(path, f"文件无法读取（{type(exc).__name__}）") from exc
    lines = [Line(_clean(ln.text), ln.level) for ln in lines]
    lines = [ln for ln in lines if ln.text]
    if not lines:
        raise DocumentError(path, "文件没有可用的文字内容")
    return lines


def _clean(text: str) -> str:
    return re.sub(r"[ \t\u3000\xa0]+", " ", text).strip()


_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_INLINE = re.compile(r"(\*\*|__|`|~~)")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_BULLET = re.compile(r"^\s*(?:[-*+]|>)\s+")


def _markdown_lines(text: str) -> list[Line]:
    out: list[Line] = []
    for raw in text.splitlines():
        m = _MD_HEADING.match(raw)
        if m:
            out.append(Line(_MD_INLINE.sub("", m.group(2)), len(m.group(1))))
            continue
        line = _MD_LINK.sub(r"\1", raw)
        line = _MD_INLINE.sub("", _MD_BULLET.sub("", line))
        if set(line.strip()) <= set("-=|: "):  # rules and table separators
            continue
        out.append(Line(line.replace("|", " ")))
    return out


def _docx_lines(path: Path) -> list[Line]:
    import docx  # python-docx

    document = docx.Document(str(path))
    out: list[Line] = []
    for para in document.paragraphs:
        style = (para.style.name if para.style is not None else "") or ""
        level: int | None = None
        if style == "Title":
            level = 1
        else:
            m = re.match(r"(?:Heading|标题)\s*(\d)", style)
            if m:
                level = int(m.group(1))
        out.append(Line(para.text, level))
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                out.append(Line(" ".join(dict.fromkeys(cells))))
    return out


_SENTENCE_END = tuple("。；;！!？?：:”」）)")
_STARTS_BLOCK = re.compile(
    r"^(第[一二三四五六七八九十百零〇两\d]+[章节条编]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d+[.．、])"
)


def _pdf_lines(path: Path) -> list[Line]:
    """PDF text comes in visual lines; re-join lines that a page width broke mid-sentence."""
    from pypdf import PdfReader

    from .upload_guard import pdf_stream_limits

    raw: list[str] = []
    with pdf_stream_limits():
        reader = PdfReader(str(path))
        for page in reader.pages:
            raw.extend((page.extract_text() or "").splitlines())
    out: list[str] = []
    for piece in (r.strip() for r in raw):
        if not piece or re.fullmatch(r"[-—\s]*\d+[-—\s]*", piece):  # blank or page number
            continue
        if out and not out[-1].endswith(_SENTENCE_END) and not _STARTS_BLOCK.match(piece):
            out[-1] += piece
        else:
            out.append(piece)
    return [Line(t) for t in out]
