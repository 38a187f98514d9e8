"""What the security tests look for in exported files: live formulas in .xlsx, formula-like fields in .csv."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from openpyxl import load_workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def xlsx_formulas(path: Path) -> list[str]:
    """Every cell a spreadsheet would compute: openpyxl's view and the raw sheet XML both."""
    found = []
    wb = load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            found += [f"{ws.title}!{c.coordinate}={c.value!r}" for c in row if c.data_type == "f"]
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/") and re.search(rb"<(\w+:)?f[ >/]", z.read(name)):
                found.append(f"{name}: <f> element")
    return found


def csv_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def csv_formula_cells(rows: list[list[str]]) -> list[str]:
    return [cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS)]


def orgbot(*args: str, db_url: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real command line, importing this worktree's code."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("ORGBOT_")}
    full["ORGBOT_DATABASE_URL"] = db_url
    full["ORGBOT_KNOWLEDGE_INDEX_DIR"] = str(cwd / "index")
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, env=full, cwd=cwd, timeout=120
    )
