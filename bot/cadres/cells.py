"""Reading one sheet cell into a typed value, with a Chinese complaint when it does not fit."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from bot.cadres.dates import DateError, parse_date
from bot.cadres.ids import ID_RE as CADRE_ID_RE
from bot.cadres.ids import MAX_ID_LENGTH, normalize_cadre_id


class CellError(ValueError):
    pass


Parser = Callable[[Any], Any]


def text(value: Any) -> str:
    """A cell as text: Excel hands numbers back as floats (13800138000.0), people mean the digits."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def folded(value: Any) -> str:
    """Text with full-width letters, digits and punctuation folded to ASCII, for codes and numbers."""
    return unicodedata.normalize("NFKC", text(value)).strip()


def plain(max_len: int) -> Parser:
    def parse(value: Any) -> str:
        s = re.sub(r"\s+", " ", text(value))
        if len(s) > max_len:
            raise CellError(f"太长（{len(s)} 个字），最多 {max_len} 个字")
        return s

    return parse


def cadre_id(value: Any) -> str:
    s = normalize_cadre_id(folded(value))
    if not s:
        return ""
    if len(s) > MAX_ID_LENGTH:
        raise CellError(f"干部编号最多 {MAX_ID_LENGTH} 位")
    if not CADRE_ID_RE.match(s):
        raise CellError(f"干部编号 {s[:40]!r} 只能包含字母、数字和连字符")
    return s


def unit_code(value: Any) -> str:
    s = re.sub(r"\s+", "", folded(value)).upper()
    if len(s) > 64:
        raise CellError("单位编码最多 64 位")
    if s and not re.fullmatch(r"[A-Z0-9][A-Z0-9_.-]*", s):
        raise CellError(f"单位编码 {s[:40]!r} 只能包含字母、数字和 _ . -")
    return s


def day(value: Any) -> date | None:
    try:
        return parse_date(value)
    except DateError as exc:
        raise CellError(str(exc)) from None


def month_or_day(value: Any) -> date | None:
    try:
        return parse_date(value, allow_month=True)
    except DateError as exc:
        raise CellError(str(exc)) from None


def hours(value: Any) -> float | None:
    s = folded(value).removesuffix("学时").removesuffix("小时").strip()
    if not s:
        return None
    try:
        h = float(s)
    except ValueError:
        raise CellError(f"应为数字（学时），而不是 {s[:20]!r}") from None
    if not 0 < h <= 2000:
        raise CellError(f"学时 {h:g} 不在合理范围内（大于 0，不超过 2000）")
    return h


def days(value: Any) -> float | None:
    s = folded(value).removesuffix("天").strip()
    if not s:
        return None
    try:
        d = float(s)
    except ValueError:
        raise CellError(f"应为数字（天数），而不是 {s[:20]!r}") from None
    if not 0 < d <= 366:
        raise CellError(f"天数 {d:g} 不在合理范围内")
    return d


def id_card(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise CellError("身份证号被存成了数字（会丢失末位），请把这一列设为“文本”格式后重新填写")
    s = re.sub(r"\s+", "", folded(value)).upper()
    if not s or "*" in s:
        return s
    if not re.fullmatch(r"\d{17}[\dX]|\d{15}", s):
        raise CellError("身份证号应为 18 位（最后一位可为 X）或 15 位数字")
    return s


def phone(value: Any) -> str:
    s = re.sub(r"\s+", "", folded(value))
    if not s or "*" in s:
        return s
    if not re.fullmatch(r"\+?[\d-]{5,20}(转\d{1,6})?", s):
        raise CellError(f"电话号码 {s[:24]!r} 格式不对，只能包含数字、+ 和 -")
    return s


def choice(options: dict[str, str], what: str) -> Parser:
    """One of a fixed set of words; ``options`` maps every accepted spelling to the stored word."""

    def parse(value: Any) -> str:
        s = folded(value)
        if not s:
            return ""
        key = s.lower()
        if key in options:
            return options[key]
        shown = "、".join(dict.fromkeys(options.values()))
        raise CellError(f"{what} {s[:20]!r} 不是可选值（{shown}）")

    return parse
