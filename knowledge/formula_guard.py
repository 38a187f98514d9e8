"""Spreadsheet cells that never run: every exported text is shown as the text it is.

Exports carry text typed by anyone who can chat with the bot (questions, names, audit
queries). Excel, WPS and LibreOffice treat a cell beginning with ``=``, ``+``, ``-``,
``@``, a tab or a CR as a formula, so such text opened by an organizer could fetch URLs
with neighbouring cells' data or run commands (formula / CSV injection).

In .xlsx the text goes into an explicit string cell with Excel's quote prefix (so it
stays text even when someone edits the cell). In .csv it gets a leading ``'``, which the
spreadsheet programs show as "this is text"; :func:`from_csv_text` removes exactly that
quote again, so an exported file re-imports unchanged. The quoting is a bijection: text
that already starts with quotes followed by a formula start gets one more quote.

This module lives in ``knowledge/`` because the FAQ reader there needs it and
``knowledge/`` imports nothing from ``bot/``; the bot's sheet writer uses it too.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_STARTS = frozenset("=+-@\t\r")
XLSX_MAX_TEXT = 32767
"""Excel's limit for one cell; longer text is cut (Excel would otherwise "repair" the file)."""

_SURROGATE = re.compile("[\ud800-\udfff]")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def starts_like_formula(text: str) -> bool:
    """True when a spreadsheet would run the text, also behind quotes we add or undo."""
    rest = text.lstrip("'")
    return bool(rest) and rest[0] in FORMULA_STARTS


def csv_text(text: str) -> str:
    """Text for one CSV field: a leading ``'`` keeps it from being read as a formula."""
    text = _SURROGATE.sub("\ufffd", text)
    return "'" + text if starts_like_formula(text) else text


def from_csv_text(text: str) -> str:
    """Undo :func:`csv_text` on a field read back from a CSV file."""
    if text.startswith("'") and starts_like_formula(text):
        return text[1:]
    return text


def csv_value(value: Any) -> Any:
    """A value for ``csv.writer``: text is quoted when needed, everything else is left alone."""
    return csv_text(value) if isinstance(value, str) else value


def xlsx_text(text: str) -> str:
    """Text an .xlsx cell can hold: XML-illegal control characters and lone surrogates become U+FFFD."""
    text = _XML_ILLEGAL.sub("\ufffd", _SURROGATE.sub("\ufffd", text))
    return text[:XLSX_MAX_TEXT]


def set_xlsx_value(cell: Any, value: Any) -> None:
    """Put ``value`` into an openpyxl cell; text is always a string cell, never a formula."""
    if not isinstance(value, str):
        cell.value = value
        return
    text = xlsx_text(value)
    cell.value = text
    cell.data_type = "s"
    if starts_like_formula(text):
        cell.quotePrefix = True
