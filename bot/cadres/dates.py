"""Dates as people type them into sheets and chats: 2023-07-01, 2023/7/1, 2023年7月1日, Excel date cells."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta

EXCEL_EPOCH = date(1899, 12, 30)
EARLIEST = date(1900, 1, 1)
LATEST = date(2100, 12, 31)

_FULL = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
_TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")


class DateError(ValueError):
    pass


def parse_date(value: object, *, allow_month: bool = False) -> date | None:
    """Read one date cell; empty gives None, anything unreadable raises DateError with the accepted forms.

    ``allow_month`` accepts 1978-05 / 1978.05 / 1978年5月 (出生年月 and 入党时间 are often
    written to the month) and stores the first of that month.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return _checked(value.date())
    if isinstance(value, date):
        return _checked(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _from_excel_serial(float(value))
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        return None
    text = _TIME_SUFFIX.sub("", text)
    for pattern in (_FULL, _COMPACT):
        m = pattern.match(text)
        if m:
            return _build(int(m[1]), int(m[2]), int(m[3]), text)
    if allow_month:
        m = _MONTH.match(text)
        if m:
            return _build(int(m[1]), int(m[2]), 1, text)
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return _from_excel_serial(float(text))
    forms = "2023-07-01、2023/7/1、2023年7月1日" + ("、1978-05" if allow_month else "")
    raise DateError(f"无法识别的日期 {text[:40]!r}，请写成 {forms} 等形式")


def _build(year: int, month: int, day: int, text: str) -> date:
    try:
        return _checked(date(year, month, day))
    except ValueError as exc:
        if isinstance(exc, DateError):
            raise
        raise DateError(f"日期 {text!r} 不存在（月份或日期超出范围）") from None


def _from_excel_serial(serial: float) -> date:
    if not 1 <= serial < 80_000:
        raise DateError(f"无法识别的日期 {serial:g}")
    return _checked(EXCEL_EPOCH + timedelta(days=int(serial)))


def _checked(d: date) -> date:
    if not EARLIEST <= d <= LATEST:
        raise DateError(f"日期 {d.isoformat()} 不在合理范围内（1900–2100 年）")
    return d
