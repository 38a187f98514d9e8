"""FAQ sheet reader (.csv / .xlsx): curated question → answer pairs.

Staff keep FAQs in spreadsheets, so headers may be Chinese or English and columns may be
in any order; without a recognizable header the order question, answer, alternatives,
tags, source is assumed.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from .formula_guard import from_csv_text
from .parsing import DocumentError, read_text_file

_HEADERS: dict[str, tuple[str, ...]] = {
    "question": ("question", "q", "问题", "问", "标准问题", "标准问法"),
    "answer": ("answer", "a", "答案", "回答", "答复", "解答"),
    "alternates": ("alternates", "alternatives", "variants", "相似问法", "其他问法", "同义问法", "相似问题", "别名"),
    "tags": ("tags", "tag", "标签", "关键词", "分类"),
    "source": ("source", "出处", "来源", "依据"),
}
_SPLIT = re.compile(r"[|｜\n；;]+")


@dataclass
class FaqRow:
    """One curated entry."""

    question: str
    answer: str
    alternates: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    source: str = ""


def read_faq_sheet(path: Path) -> list[FaqRow]:
    """Rows of an FAQ sheet; DocumentError when unreadable or without any entry."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            text = read_text_file(path)
            dialect = csv.excel_tab if text.count("\t") > text.count(",") else csv.excel
            table = [[from_csv_text(c) for c in r] for r in csv.reader(io.StringIO(text), dialect)]
        elif suffix == ".xlsx":
            table = _xlsx_rows(path)
        else:
            raise DocumentError(path, f"不支持的问答表格类型 {suffix}")
    except DocumentError:
        raise
    except Exception as exc:
        raise DocumentError(path, f"问答表格无法读取（{type(exc).__name__}）") from exc
    rows = _rows_from_table(table)
    if not rows:
        raise DocumentError(path, "问答表格中没有有效的问答（需要“问题”和“答案”两列）")
    return rows


def _xlsx_rows(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    wb = load_workbook(str(path), read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        return [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]
    finally:
        wb.close()


def _rows_from_table(table: list[list[str]]) -> list[FaqRow]:
    table = [[c.strip() for c in r] for r in table if any(c.strip() for c in r)]
    if not table:
        return []
    columns = _header_columns(table[0])
    if columns:
        table = table[1:]
    else:
        columns = {"question": 0, "answer": 1, "alternates": 2, "tags": 3, "source": 4}

    def cell(row: list[str], name: str) -> str:
        i = columns.get(name)
        return row[i] if i is not None and i < len(row) else ""

    rows = []
    for r in table:
        q, a = cell(r, "question"), cell(r, "answer")
        if not q or not a:
            continue
        rows.append(
            FaqRow(
                q,
                a,
                [x.strip() for x in _SPLIT.split(cell(r, "alternates")) if x.strip()],
                [x.strip() for x in re.split(r"[|｜,，、；;\s]+", cell(r, "tags")) if x.strip()],
                cell(r, "source"),
            )
        )
    return rows


def _header_columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, name in enumerate(header):
        key = name.strip().lower()
        for field_name, names in _HEADERS.items():
            if key in names and field_name not in found:
                found[field_name] = i
    return found if {"question", "answer"} <= found.keys() else {}
