"""Seconds and peak memory of the real CLI refusing upload bombs, beside a normal import in the same run.

Two figures per file. The guard alone, in this process: seconds and the peak of Python
allocations (tracemalloc) while ``check_upload`` decides. And the whole command: each
command runs in its own process (``orgbot data import --dry-run`` or ``orgbot kb
import``); its peak RSS is the kernel's VmHWM for that process, so the figures include the
interpreter and libraries, exactly what an operator sees. Prints figures, asserts nothing.

PYTHONPATH=. python bench/import_bomb.py [--keep]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from bench.support import bombs
from bot.cadres.demo import demo_files
from knowledge.parsing import DocumentError
from knowledge.upload_guard import check_upload


def guard(path: Path, table: bool) -> tuple[float, float, str]:
    """(seconds, peak traced MiB, verdict) of the upload check alone; timed without tracing, traced once more."""

    def verdict() -> str:
        try:
            check_upload(path, table=table)
            return "accepted"
        except DocumentError:
            return "refused"

    started = time.perf_counter()
    outcome = verdict()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    verdict()
    peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    tracemalloc.stop()
    return seconds, peak, outcome


def run(folder: Path, *args: str) -> tuple[float, float, int, str]:
    """(seconds, peak RSS in MiB, exit code, last output line) of one orgbot command."""
    done = bombs.run_cli_measured(*args, db_url=f"sqlite+aiosqlite:///{folder / 'bench.db'}", cwd=folder)
    lines = [ln.strip() for ln in done.output.splitlines() if ln.strip()]
    return done.seconds, done.peak_mib, done.code, (lines[-1] if lines else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder with the bombs")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="orgbot-bomb-"))
    run(folder, "db", "upgrade")

    def build(name: str, make: Callable[[Path], Path]) -> Path:
        return make(folder / name)

    cadre_sheet = next(p for p in demo_files() if p.stem == "干部")
    policy = folder / "请假规定.txt"
    policy.write_text("第一条 干部请假须经批准。\n第二条 年休假按国家规定执行。\n", encoding="utf-8")
    cases: list[tuple[str, list[str], Path]] = [
        ("baseline: demo 干部 sheet", ["data", "import", "--dry-run", "--no-progress"], cadre_sheet),
        ("baseline: small policy text", ["kb", "import"], policy),
        ("xlsx zip bomb (sheet → 2 GiB)", ["data", "import", "--dry-run", "--no-progress"],
         build("炸弹.xlsx", bombs.xlsx_zip_bomb)),
        ("xlsx declared grid A1:XFD1048576", ["data", "import", "--dry-run", "--no-progress"],
         build("网格.xlsx", bombs.xlsx_declared_grid_bomb)),
        ("xlsx 5000 rows padded to XFD", ["staff", "import", "--dry-run", "--no-progress"],
         build("宽行.xlsx", bombs.xlsx_wide_rows_bomb)),
        ("xlsx 6000 zip entries", ["data", "import", "--dry-run", "--no-progress"],
         build("条目.xlsx", bombs.xlsx_many_entries)),
        ("csv of 6M separators", ["data", "import", "--dry-run", "--no-progress"],
         build("逗号.csv", lambda p: (p.write_bytes(b"a,b\n" + b"," * 6_000_000), p)[1])),
        ("xlsx FAQ zip bomb via kb import", ["kb", "import"], build("问答.xlsx", bombs.xlsx_zip_bomb)),
        ("docx zip bomb (document → 1 GiB)", ["kb", "import"], build("炸弹.docx", bombs.docx_zip_bomb)),
        ("pdf flate bomb (300 MiB stream)", ["kb", "import"],
         build("炸弹.pdf", lambda p: bombs.pdf_with_pages(p, 3, inflate_mib=300))),
        ("pdf with 2100 pages", ["kb", "import"],
         build("页数.pdf", lambda p: bombs.pdf_with_pages(p, 2100, b"BT /F1 12 Tf 72 712 Td (x) Tj ET"))),
        ("pdf claiming 1 page, holding 5000", ["kb", "import"], build("谎报.pdf", bombs.pdf_lying_page_count)),
    ]  # fmt: skip
    print(f"{'':<38}{'':>10}  {'guard alone':^28}  {'whole command':^22}")
    print(
        f"{'case':<38}{'file':>10}{'seconds':>9}{'peak':>9}  {'verdict':<8}{'seconds':>9}{'peak RSS':>11}  exit  last line"
    )
    for label, command, path in cases:
        g_seconds, g_peak, verdict = guard(path, table=command[0] != "kb" or path.suffix in (".csv", ".xlsx"))
        seconds, rss, code, last = run(folder, *command, str(path))
        size = path.stat().st_size
        shown = f"{size / 1024:.0f} KiB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MiB"
        print(
            f"{label:<38}{shown:>10}{g_seconds:>8.3f}s{g_peak:>5.1f} MiB  {verdict:<8}"
            f"{seconds:>8.2f}s{rss:>7.0f} MiB  {code:>4}  {last[:70]}"
        )
    if args.keep:
        print(f"files kept in {folder}")
    else:
        for p in sorted(folder.rglob("*"), reverse=True):
            p.unlink() if p.is_file() else p.rmdir()
        folder.rmdir()


if __name__ == "__main__":
    main()
