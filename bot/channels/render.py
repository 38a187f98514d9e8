"""Turn the neutral reply (text or light markdown) into each platform's subset, and split what is too long.

Handlers write light markdown (headings, **bold**, links, lists, `code`, > quotes,
the odd table). No platform renders all of it and each caps message size in UTF-8
bytes, so constructs a platform lacks degrade to readable plain lines, and long
answers are cut at paragraph, then line, then character boundaries.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^\s*```")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_TABLE_ROW = re.compile(r"^\s*\|(.+)\|\s*$")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+")
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_ITALIC = re.compile(r"(?<![*\w])\*(?![\s*])(.+?)(?<![\s*])\*(?![*\w])")
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_CODE = re.compile(r"`([^`\n]+)`")
_QUOTE = re.compile(r"^\s*>\s?")


def _blocks(text: str) -> list[str]:
    """Common degradation: code fences dropped (their lines kept), table rows become plain lines."""
    out: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if _FENCE.match(line) or (_TABLE_RULE.match(line) and "|" in line):
            continue
        row = _TABLE_ROW.match(line)
        if row:
            line = "  ".join(cell.strip() for cell in row.group(1).split("|"))
        out.append(line.rstrip())
    return out


def to_plain_text(text: str) -> str:
    lines = []
    for line in _blocks(text):
        m = _HEADING.match(line)
        if m:
            line = m.group(2)
        line = _QUOTE.sub("", line)
        line = _BULLET.sub(r"\1• ", line)
        line = _IMAGE.sub(lambda m: f"[图片] {m.group(2)}", line)
        line = _LINK.sub(lambda m: m.group(1) if m.group(1) == m.group(2) else f"{m.group(1)}（{m.group(2)}）", line)
        line = _BOLD.sub(lambda m: m.group(1) or m.group(2), line)
        line = _ITALIC.sub(r"\1", line)
        line = _CODE.sub(r"\1", line)
        lines.append(line)
    return "\n".join(lines).strip()


def to_wecom_markdown(text: str) -> str:
    """WeCom: headings, bold, links, inline code, quotes; no lists, tables or images."""
    lines = []
    for line in _blocks(text):
        line = _BULLET.sub(r"\1• ", line)
        line = _IMAGE.sub(lambda m: f"[图片]({m.group(2)})", line)
        line = _ITALIC.sub(r"\1", line)
        lines.append(line)
    return "\n".join(lines).strip()


def to_dingtalk_markdown(text: str) -> str:
    """DingTalk: headings, quotes, bold, italic, links, images, lists; no tables or code blocks."""
    return "\n".join(_blocks(text)).strip()


def to_feishu_card_markdown(text: str) -> str:
    """Feishu card markdown: bold, italic, links, lists, inline code; headings become bold lines."""
    lines = []
    for line in _blocks(text):
        m = _HEADING.match(line)
        if m:
            line = f"**{m.group(2)}**"
        line = _IMAGE.sub(lambda m: f"[图片]({m.group(2)})", line)
        lines.append(line)
    return "\n".join(lines).strip()


def title_of(text: str, limit: int = 20) -> str:
    """A markdown message title (DingTalk requires one; it shows in the chat list)."""
    for line in to_plain_text(text).split("\n"):
        if line.strip():
            line = line.strip()
            return line if len(line) <= limit else line[: limit - 1] + "…"
    return "消息"


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _hard_split(line: str, max_bytes: int) -> list[str]:
    parts: list[str] = []
    current = ""
    size = 0
    for ch in line:
        n = utf8_len(ch)
        if size + n > max_bytes and current:
            parts.append(current)
            current, size = "", 0
        current += ch
        size += n
    if current:
        parts.append(current)
    return parts


def split_utf8(text: str, max_bytes: int) -> list[str]:
    """Pieces of at most ``max_bytes`` UTF-8 bytes, cut between paragraphs, else lines, else characters."""
    if utf8_len(text) <= max_bytes:
        return [text]
    pieces: list[str] = []
    current = ""

    def flush() -> None:
        nonlocal current
        if current.strip():
            pieces.append(current.strip("\n"))
        current = ""

    for para in text.split("\n\n"):
        for unit, sep in _units(para, max_bytes):
            candidate = f"{current}{sep}{unit}" if current else unit
            if utf8_len(candidate) <= max_bytes:
                current = candidate
            else:
                flush()
                current = unit
    flush()
    return pieces


def _units(paragraph: str, max_bytes: int) -> list[tuple[str, str]]:
    """A paragraph whole if it fits, else its lines (long lines cut), each with the separator before it."""
    if utf8_len(paragraph) <= max_bytes:
        return [(paragraph, "\n\n")]
    units: list[tuple[str, str]] = []
    first = True
    for line in paragraph.split("\n"):
        for i, chunk in enumerate(_hard_split(line, max_bytes) or [""]):
            units.append((chunk, "\n\n" if first else ("\n" if i == 0 else "")))
            first = False
    return units
