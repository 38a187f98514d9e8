"""Cadre IDs and names as people type them: full-width letters, lower case, stray spaces, whole sentences."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_ID_LENGTH = 32
MAX_NAME_LENGTH = 20
ID_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]*$")
NAME_RE = re.compile(r"^[\u3400-\u9fff·•A-Za-z]+$")
# An ID inside free text: starts with a letter and holds a digit (A1024, G2023-0157).
ID_IN_TEXT_RE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z][A-Za-z0-9]*\d[A-Za-z0-9]*(?:-[A-Za-z0-9]+)*)(?![A-Za-z0-9])")


@dataclass(frozen=True)
class Query:
    """What the person asked for: an ID, or a name to search, or a problem to explain."""

    cadre_id: str | None = None
    name: str | None = None
    error: str | None = None


def normalize_text(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def normalize_cadre_id(text: str) -> str:
    """The canonical form stored and compared: half-width, upper case, no spaces."""
    return re.sub(r"\s+", "", normalize_text(text)).upper()


def parse_query(raw: str) -> Query:
    """Read the argument of /培训, /后备, /干部: an ID or a name, with a clear complaint otherwise."""
    text = re.sub(r"\s+", "", normalize_text(raw))
    if not text:
        return Query(error="请在命令后写上干部编号或姓名。")
    if len(text) > 64:
        return Query(
            error=f"输入太长了（{len(text)} 个字符）。干部编号最多 {MAX_ID_LENGTH} 位，姓名最多 {MAX_NAME_LENGTH} 个字。"
        )
    if re.search(r"[\u3400-\u9fff]", text):
        if len(text) > MAX_NAME_LENGTH or not NAME_RE.match(text):
            return Query(error="姓名只能包含汉字、字母和间隔号“·”，最多 20 个字。")
        return Query(name=text)
    cadre_id = text.upper()
    if len(cadre_id) > MAX_ID_LENGTH:
        return Query(error=f"干部编号最多 {MAX_ID_LENGTH} 位，您输入了 {len(cadre_id)} 位。")
    if not ID_RE.match(cadre_id):
        return Query(error="干部编号只能包含字母、数字和连字符“-”，例如 A1024 或 G2023-0157。")
    return Query(cadre_id=cadre_id)


def find_id_in_text(text: str) -> str | None:
    m = ID_IN_TEXT_RE.search(normalize_text(text))
    if m is None or len(m[1]) > MAX_ID_LENGTH:
        return None
    return m[1].upper()
