"""Refuse an uploaded file before any parser opens it, when parsing it could exhaust time or memory.

Why a separate pass: openpyxl, python-docx and pypdf trust a file's own account of its
size. A 2 MB .xlsx whose sheet inflates to gigabytes (a zip bomb), a sheet that claims
cell XFD1048576 (openpyxl then pads every row to 16 384 cells), a .docx whose XML is
hundreds of megabytes, or a PDF with thousands of pages can each take minutes and
gigabytes before a parser gives up. This pass reads only the zip directory, streams the
sheet XML through a counter in 1 MiB chunks, and asks pypdf for page count and content
sizes; so a refusal costs well under a second and a few megabytes.

Python's zipfile never inflates an entry beyond the size its directory declares (it
stops there and reports a CRC error), so checking the declared sizes bounds the real
work of every zipfile-based parser.

Lives in ``knowledge/`` because the knowledge importer needs it and must not import
``bot/``; the cadre/staff importer (``bot.cadres.sheets``) uses the same guard.
"""

from __future__ import annotations

import re
import struct
import zipfile
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .parsing import DocumentError

MiB = 1024 * 1024


@dataclass(frozen=True)
class UploadLimits:
    """What an uploaded file may contain; README.md (导入文件的安全上限) documents the defaults.

    Ratios are checked for entries larger than ``ratio_floor_bytes`` only: tiny XML parts
    legitimately compress 100-fold and cannot hurt.
    """

    max_file_bytes: int = 64 * MiB
    max_unpacked_bytes: int = 256 * MiB
    max_ratio: int = 100
    ratio_floor_bytes: int = 1 * MiB
    max_entries: int = 5000
    max_rows: int = 200_000
    max_cells: int = 4_000_000
    max_pdf_pages: int = 2000
    max_pdf_stream_bytes: int = 8 * MiB
    max_pdf_content_bytes: int = 128 * MiB


DEFAULT_LIMITS = UploadLimits()
ZIP_SUFFIXES = frozenset({".xlsx", ".xlsm", ".docx"})
SHEET_ZIP_SUFFIXES = frozenset({".xlsx", ".xlsm"})
CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
_CENTRAL_ENTRY_BYTES = 1024
"""Room per entry in the zip directory (46 fixed bytes + name + extras); more means a padded directory."""


class UploadRefused(DocumentError):
    """The file was refused before parsing; the message names the file and the limit it broke."""

    def __init__(self, path: Path | str, reason: str, *, too_big: bool = True) -> None:
        hint = "；如确为正常文件，请拆分后再导入" if too_big else ""
        super().__init__(path, f"{reason}，已拒绝导入（文件未被解析{hint}）")


def check_upload(path: Path, *, table: bool, limits: UploadLimits = DEFAULT_LIMITS) -> None:
    """Raise UploadRefused when ``path`` exceeds ``limits``; ``table``: the file is read as rows and cells."""
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise UploadRefused(path, f"文件有 {_mib(size)}，超过上限 {_mib(limits.max_file_bytes)}")
    suffix = path.suffix.lower()
    if suffix in ZIP_SUFFIXES:
        _check_zip(path, size, limits, sheet=suffix in SHEET_ZIP_SUFFIXES)
    elif suffix == ".pdf":
        _check_pdf(path, limits)
    elif table and suffix in CSV_SUFFIXES:
        _check_delimited(path, limits)


def _shown(name: str) -> str:
    """An entry name from the archive, safe to print: it is chosen by whoever made the file."""
    return "".join(ch if ch.isprintable() else "?" for ch in name[:80])


def _mib(n: int) -> str:
    return f"{n / MiB:.1f} MiB" if n < 1024 * MiB else f"{n / 1024 / MiB:.1f} GiB"


# --- zip containers (.xlsx .docx) -------------------------------------------------------


def _check_zip(path: Path, size: int, limits: UploadLimits, *, sheet: bool) -> None:
    """A file that is no zip at all passes: the parser then says it is damaged, as quickly as we could."""
    directory = _zip_directory_size(path, size)
    if directory is None:
        return
    entries, directory_bytes = directory
    if entries > limits.max_entries:
        raise UploadRefused(path, f"压缩包内有 {entries} 个条目，超过上限 {limits.max_entries}")
    if directory_bytes > limits.max_entries * _CENTRAL_ENTRY_BYTES:
        raise UploadRefused(path, "压缩包目录异常庞大（疑似恶意构造）", too_big=False)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > limits.max_entries:
                raise UploadRefused(path, f"压缩包内有 {len(infos)} 个条目，超过上限 {limits.max_entries}")
            _check_sizes(path, infos, limits)
            if sheet:
                _check_sheet_parts(path, archive, infos, limits)
    except zipfile.BadZipFile:
        raise UploadRefused(path, "文件已损坏（压缩包目录无法读取）", too_big=False) from None


def _zip_directory_size(path: Path, size: int) -> tuple[int, int] | None:
    """Entry count and directory size from the end record, read before zipfile loads the directory;
    None when there is no end record (not a zip: zipfile finds none either)."""
    tail_len = min(size, 22 + 65535)
    with path.open("rb") as f:
        f.seek(size - tail_len)
        tail = f.read(tail_len)
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            return None
        entries, directory_bytes = struct.unpack("<HI", tail[at + 10 : at + 16])
        if entries == 0xFFFF or directory_bytes == 0xFFFFFFFF:
            locator = tail[at - 20 : at] if at >= 20 else b""
            if locator[:4] != b"PK\x06\x07":
                raise UploadRefused(path, "文件已损坏（ZIP64 记录缺失）", too_big=False)
            (record_at,) = struct.unpack("<Q", locator[8:16])
            f.seek(record_at)
            record = f.read(56)
            if record[:4] != b"PK\x06\x06" or len(record) < 56:
                raise UploadRefused(path, "文件已损坏（ZIP64 记录无效）", too_big=False)
            entries, directory_bytes = struct.unpack("<QQ", record[32:48])
    return entries, directory_bytes


def _check_sizes(path: Path, infos: list[zipfile.ZipInfo], limits: UploadLimits) -> None:
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > limits.ratio_floor_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                raise UploadRefused(
                    path,
                    f"其中 {_shown(info.filename)} 解压后 {_mib(info.file_size)}，压缩比 {ratio:.0f}:1 "
                    f"超过上限 {limits.max_ratio}:1（疑似压缩炸弹）",
                )
    if total > limits.max_unpacked_bytes:
        raise UploadRefused(path, f"解压后共 {_mib(total)}，超过上限 {_mib(limits.max_unpacked_bytes)}（疑似压缩炸弹）")


_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c|dimension)(?=[\s/>])([^>]*)>")
_ATTRIBUTE = re.compile(rb"""\s([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_CELL_REF = re.compile(rb"\$?([A-Za-z]{0,7})\$?(\d{0,12})")
_RANGE = re.compile(rb"\$?([A-Za-z]{1,7})\$?(\d{1,12})(?::\$?([A-Za-z]{1,7})\$?(\d{1,12}))?")


def _attribute(attrs: bytes, wanted: bytes) -> bytes | None:
    """One attribute's value, reading the pairs in order so a value can never pass for another attribute."""
    for m in _ATTRIBUTE.finditer(attrs):
        if m.group(1) == wanted:
            return m.group(2) if m.group(2) is not None else m.group(3)
    return None


_MAX_TAG_BYTES = 64 * 1024


@dataclass
class _SheetCount:
    """Rows and cells as openpyxl will materialize them: every row padded to its last cell's column."""

    rows: int = 0
    row_number: int = 0
    column: int = 0
    widths: int = 0
    last_row: int = 0
    last_column: int = 0
    declared_rows: int = 0
    declared_columns: int = 0

    def tag(self, name: bytes, attrs: bytes) -> bool:
        """Count one start tag; False when its reference is not a plain A1-style one (e.g. hidden in entities)."""
        ref = None
        if name != b"dimension" and (value := _attribute(attrs, b"r")) is not None:
            ref = _CELL_REF.fullmatch(value)
            if ref is None:
                return False
        if name == b"row":
            self.widths += self.column
            self.row_number = int(ref.group(2)) if ref and ref.group(2) else self.row_number + 1
            self.column = 0
            self.rows += 1
            self.last_row = max(self.last_row, self.row_number)
        elif name == b"c":
            self.column = _column_number(ref.group(1)) if ref and ref.group(1) else self.column + 1
            self.last_column = max(self.last_column, self.column)
        else:
            value = _attribute(attrs, b"ref")
            found = _RANGE.fullmatch(value) if value is not None else None
            if value is not None and found is None:
                return False
            if found:
                last_col, last_row = (found.group(3), found.group(4)) if found.group(3) else found.group(1, 2)
                self.declared_columns = _column_number(last_col)
                self.declared_rows = int(last_row)
        return True

    def cells(self) -> int:
        return max(self.widths + self.column, self.declared_rows * self.declared_columns)


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def _check_sheet_parts(
    path: Path, archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], limits: UploadLimits
) -> None:
    """Every XML part is counted, not only xl/worksheets/*: a workbook may point its sheets anywhere."""
    total_cells = 0
    for info in infos:
        if not info.filename.lower().endswith(".xml") or info.is_dir():
            continue
        count = _SheetCount()
        with archive.open(info) as part:
            for name, attrs in _tags(path, part):
                if not count.tag(name, attrs):
                    raise UploadRefused(path, f"工作表 {_shown(info.filename)} 中有无法识别的单元格引用", too_big=False)
                if count.rows > limits.max_rows or count.last_row > limits.max_rows:
                    raise UploadRefused(path, f"工作表 {_shown(info.filename)} 超过 {limits.max_rows} 行的上限")
        rows = max(count.last_row, count.declared_rows)
        if rows > limits.max_rows:
            raise UploadRefused(path, f"工作表 {_shown(info.filename)} 声明了 {rows} 行，超过上限 {limits.max_rows} 行")
        total_cells += count.cells()
        if total_cells > limits.max_cells:
            raise UploadRefused(path, f"工作簿单元格总数超过上限 {limits.max_cells}（含空白填充）")


def _tags(path: Path, stream: IO[bytes]) -> Iterator[tuple[bytes, bytes]]:
    """(name, attributes) of each row/c/dimension start tag, reading 1 MiB at a time."""
    pending = b""
    while chunk := stream.read(MiB):
        data = pending + chunk
        cut = data.rfind(b"<")
        if cut < 0 or data.find(b">", cut) >= 0:
            cut = len(data)
        elif len(data) - cut > _MAX_TAG_BYTES:
            raise UploadRefused(path, "表格 XML 中有异常长的标签（疑似恶意构造）", too_big=False)
        for m in _TAG.finditer(data, 0, cut):
            yield m.group(1), m.group(2)
        pending = data[cut:]


# --- delimited text (.csv) ---------------------------------------------------------------


def _check_delimited(path: Path, limits: UploadLimits) -> None:
    """An upper bound on rows and cells from separators and line breaks (quoted ones count too)."""
    rows = cells = 0
    with path.open("rb") as f:
        while chunk := f.read(MiB):
            lines = chunk.count(b"\n")
            rows += lines
            cells += lines + chunk.count(b",") + chunk.count(b"\t")
    if rows > limits.max_rows:
        raise UploadRefused(path, f"表格有 {rows} 行以上，超过上限 {limits.max_rows} 行")
    if cells > limits.max_cells:
        raise UploadRefused(path, f"表格约有 {cells} 个单元格，超过上限 {limits.max_cells}")


# --- PDF ---------------------------------------------------------------------------------


def pdf_stream_limits(limits: UploadLimits = DEFAULT_LIMITS) -> AbstractContextManager[object]:
    """pypdf refuses, while this is active, any one stream that decodes past ``max_pdf_stream_bytes``.

    pypdf's own default (75 MB per stream, copied a few times while decoding) would let one
    stream cost ~300 MiB; the text reader runs under the same limit as this check.
    """
    from pypdf import apply_configuration

    n = limits.max_pdf_stream_bytes
    return apply_configuration(
        zlib_maximum_output_length=n,
        lzw_maximum_output_length=n,
        run_length_maximum_output_length=n,
        brotli_maximum_output_length=n,
        jbig2_maximum_output_length=n,
        array_based_stream_maximum_output_length=n,
        maximum_declared_stream_length=max(n, limits.max_file_bytes),
        page_tree_maximum_entries=2 * limits.max_pdf_pages,
        page_tree_maximum_page_entries=2 * limits.max_pdf_pages,
    )


def _check_pdf(path: Path, limits: UploadLimits) -> None:
    """Page count first (declared, then the page tree walked under a bound), then each page's content."""
    from pypdf.errors import LimitReachedError

    try:
        with pdf_stream_limits(limits):
            _count_pdf(path, limits)
    except LimitReachedError:
        raise UploadRefused(
            path,
            f"PDF 中有解压后超过 {_mib(limits.max_pdf_stream_bytes)} 的数据流，或页面树过大（疑似压缩炸弹或恶意构造）",
        ) from None
    except UploadRefused:
        raise
    except Exception as exc:  # a broken PDF is the parser's usual complaint, not a bomb
        raise DocumentError(path, f"PDF 文件无法读取（{type(exc).__name__}）") from None


def _count_pdf(path: Path, limits: UploadLimits) -> None:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    root: Any = reader.trailer["/Root"]
    declared = root["/Pages"].get("/Count", 0)
    if isinstance(declared, int) and declared > limits.max_pdf_pages:
        raise UploadRefused(path, f"PDF 有 {declared} 页，超过上限 {limits.max_pdf_pages} 页")
    pages = len(reader.pages)
    if pages > limits.max_pdf_pages:
        raise UploadRefused(path, f"PDF 有 {pages} 页，超过上限 {limits.max_pdf_pages} 页")
    total = 0
    for number, page in enumerate(reader.pages, 1):
        if number > limits.max_pdf_pages:
            raise UploadRefused(path, f"PDF 超过 {limits.max_pdf_pages} 页的上限")
        contents = page.get_contents()
        total += len(contents.get_data()) if contents is not None else 0
        if total > limits.max_pdf_content_bytes:
            raise UploadRefused(
                path, f"PDF 页面内容解压后超过 {_mib(limits.max_pdf_content_bytes)}（第 {number} 页，疑似压缩炸弹）"
            )
