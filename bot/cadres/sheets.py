"""Reading and writing .xlsx and .csv tables as plain rows; knows nothing of what the columns mean."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from knowledge.formula_guard import csv_value, from_csv_text, set_xlsx_value
from knowledge.parsing import DocumentError
from knowledge.upload_guard import check_upload

SUPPORTED = (".xlsx", ".xlsm", ".csv", ".tsv", ".txt")


class SheetError(ValueError):
    pass


@dataclass
class Table:
    """One sheet: its header row and its data rows with their row numbers as a spreadsheet shows them."""

    file: str
    sheet: str
    header_row: int
    headers: list[Any]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.file}" + (f" [{self.sheet}]" if self.sheet else "")


def read_tables(path: Path) -> list[Table]:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise SheetError(f"{path.name}：不支持的文件类型 {suffix or '（无扩展名）'}，请使用 .xlsx 或 .csv")
    if not path.is_file():
        raise SheetError(f"找不到文件 {path}")
    try:
        check_upload(path, table=True)
    except DocumentError as exc:
        raise SheetError(str(exc)) from None
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    return [_read_csv(path)]


def _read_xlsx(path: Path) -> list[Table]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise SheetError(
            f"{path.name}：无法打开 Excel 文件（{type(exc).__name__}），文件可能已损坏或不是 .xlsx"
        ) from None
    tables: list[Table] = []
    try:
        for ws in wb.worksheets:
            if getattr(ws, "sheet_state", "visible") != "visible":
                continue
            table = _table_from_rows(path.name, ws.title, ws.iter_rows(values_only=True))
            if table is not None:
                tables.append(table)
    finally:
        wb.close()
    return tables


def _decode(raw: bytes, name: str) -> str:
    """Excel on Chinese Windows saves CSV as GBK; everything else is UTF-8 (with or without BOM)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SheetError(f"{name}：无法识别文件编码，请另存为 UTF-8 编码的 CSV")


def _read_csv(path: Path) -> Table:
    content = _decode(path.read_bytes(), path.name)
    first = content.split("\n", 1)[0]
    delimiter = "\t" if path.suffix.lower() == ".tsv" or first.count("\t") > first.count(",") else ","
    rows = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    table = _table_from_rows(path.name, "", ([from_csv_text(v) for v in row] for row in rows))
    if table is None:
        raise SheetError(f"{path.name}：文件是空的")
    return table


def _table_from_rows(file: str, sheet: str, rows: Iterable[Sequence[Any]]) -> Table | None:
    table: Table | None = None
    for number, raw in enumerate(rows, 1):
        values = [None if (isinstance(v, str) and not v.strip()) else v for v in raw]
        if not any(v is not None for v in values):
            continue
        if table is None:
            table = Table(file, sheet, number, list(values))
        else:
            table.rows.append((number, list(values)))
    return table


def write_table(path: Path, sheet: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Text cells never become formulas (see knowledge.formula_guard), so exports are safe to open."""
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            writer.writerow([csv_value(h) for h in headers])
            for row in rows:
                writer.writerow(["" if v is None else csv_value(_csv_value(v)) for v in row])
        return
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = sheet[:31]
    for col, header in enumerate(headers, 1):
        cell = ws.cell(row=1, column=col)
        set_xlsx_value(cell, header)
        cell.font = Font(bold=True)
    for row_number, row in enumerate(rows, 2):
        for col, value in enumerate(row, 1):
            if value is not None:
                set_xlsx_value(ws.cell(row=row_number, column=col), value)
    for idx, header in enumerate(headers, 1):
        letter = ws.cell(row=1, column=idx).column_letter
        ws.column_dimensions[letter].width = max(10, min(40, len(str(header)) * 2 + 4))
        for cell in ws[letter][1:]:
            if isinstance(cell.value, (date, datetime)):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(cell.value, str):
                cell.number_format = "@"
    ws.freeze_panes = "A2"
    wb.save(path)


def _csv_value(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v
