"""Real decompression bombs, built in a few megabytes of memory: small on disk, gigabytes when inflated.

A deflate stream is built by compressing one 1 MiB block once (after a full flush the
compressor forgets its history, so every repetition compresses to the same bytes) and
repeating those bytes; the CRC is computed honestly, so a parser without the guard would
really inflate everything. The zip is written by hand around that stream.
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook

MiB = 1024 * 1024


@dataclass
class Deflated:
    data: bytes
    crc: int
    size: int


def deflate_repeated(head: bytes, block: bytes, times: int, tail: bytes) -> Deflated:
    """head + block * times + tail as one raw deflate stream, without ever holding the inflated bytes."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = comp.compress(head) + comp.flush(zlib.Z_FULL_FLUSH)
    repeated = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)
    end = comp.compress(tail) + comp.flush(zlib.Z_FINISH)
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    return Deflated(start + repeated * times + end, crc, len(head) + len(block) * times + len(tail))


def write_zip(path: Path, parts: dict[str, bytes | Deflated]) -> Path:
    """A zip whose Deflated parts are stored as given; plain bytes are deflated normally."""
    out = io.BytesIO()
    central = []
    for name, part in parts.items():
        if isinstance(part, bytes):
            comp = zlib.compressobj(6, zlib.DEFLATED, -15)
            part = Deflated(comp.compress(part) + comp.flush(), zlib.crc32(part), len(part))
        encoded = name.encode()
        offset = out.tell()
        sizes = (part.crc, len(part.data), part.size)
        out.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0x21, *sizes, len(encoded), 0))
        out.write(encoded)
        out.write(part.data)
        central.append(
            struct.pack(
                "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, *sizes, len(encoded), 0, 0, 0, 0, 0, offset
            )
            + encoded
        )
    start = out.tell()
    for record in central:
        out.write(record)
    size = out.tell() - start
    out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(central), len(central), size, start, 0))
    path.write_bytes(out.getvalue())
    return path


def workbook_parts() -> dict[str, bytes]:
    """The parts of a real one-sheet workbook, to swap the sheet for a bomb."""
    buf = io.BytesIO()
    wb = Workbook()
    wb.active.title = "干部"
    wb.active.append(["干部编号", "姓名", "单位编码"])
    wb.save(buf)
    with zipfile.ZipFile(buf) as z:
        return {n: z.read(n) for n in z.namelist()}


SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = b"</sheetData></worksheet>"


def xlsx_zip_bomb(path: Path, inflated_mib: int = 2048) -> Path:
    """The issue's bomb: ~2 MB on disk, a sheet of ``inflated_mib`` MiB of cells."""
    row = b'<row><c t="inlineStr"><is><t>A1001</t></is></c><c t="inlineStr"><is><t>x</t></is></c></row>'
    block = row + b" " * (MiB - len(row))  # whitespace between rows: still parsed, deflates ~1000:1
    parts: dict[str, bytes | Deflated] = dict(workbook_parts())
    parts["xl/worksheets/sheet1.xml"] = deflate_repeated(SHEET_HEAD, block, inflated_mib, SHEET_TAIL)
    return write_zip(path, parts)


def xlsx_with_sheet(path: Path, sheet_xml: bytes) -> Path:
    parts = workbook_parts()
    parts["xl/worksheets/sheet1.xml"] = sheet_xml
    return write_zip(path, dict(parts))


def xlsx_declared_grid_bomb(path: Path) -> Path:
    """A few hundred bytes: the dimension claims the whole grid and one far cell makes openpyxl pad to it."""
    sheet = (
        SHEET_HEAD.replace(b"<sheetData>", b'<dimension ref="A1:XFD1048576"/><sheetData>')
        + b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
        + b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
        + SHEET_TAIL
    )
    return xlsx_with_sheet(path, sheet)


def xlsx_wide_rows_bomb(path: Path, rows: int = 5000) -> Path:
    """No dimension at all: each row has one cell in the last column, so every row pads to 16 384 cells."""
    body = b"".join(b'<row r="%d"><c r="XFD%d"><v>1</v></c></row>' % (i, i) for i in range(1, rows + 1))
    return xlsx_with_sheet(path, SHEET_HEAD + body + SHEET_TAIL)


def xlsx_many_entries(path: Path, entries: int = 6000) -> Path:
    parts: dict[str, bytes | Deflated] = dict(workbook_parts())
    for i in range(entries):
        parts[f"xl/media/pad{i}.bin"] = b""
    return write_zip(path, parts)


def docx_zip_bomb(path: Path, inflated_mib: int = 1024) -> Path:
    """A .docx whose document.xml inflates to ``inflated_mib`` MiB of paragraphs."""
    from docx import Document

    buf = io.BytesIO()
    Document().save(buf)
    with zipfile.ZipFile(buf) as z:
        parts: dict[str, bytes | Deflated] = {n: z.read(n) for n in z.namelist()}
    para = b"<w:p><w:r><w:t>\xe7\xac\xac\xe4\xb8\x80\xe6\x9d\xa1</w:t></w:r></w:p>"
    block = para + b" " * (MiB - len(para))
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document '
        b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    )
    parts["word/document.xml"] = deflate_repeated(head, block, inflated_mib, b"</w:body></w:document>")
    return write_zip(path, parts)


def pdf_with_pages(path: Path, page_count: int, content: bytes = b"", *, inflate_mib: int = 0) -> Path:
    """A PDF with ``page_count`` pages sharing one content stream; ``inflate_mib`` makes it a flate bomb."""
    if inflate_mib:
        comp = zlib.compressobj(9)
        spaces = b" " * MiB
        stream = b"".join(comp.compress(spaces) for _ in range(inflate_mib)) + comp.flush()
        content_obj = b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream)
    else:
        content_obj = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content)
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    first_page = 5
    kids = b" ".join(b"%d 0 R" % (first_page + i) for i in range(page_count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, page_count),
        content_obj,
        font,
    ] + [
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R /Resources << /Font << /F1 4 0 R >> >> >>"
    ] * page_count
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    path.write_bytes(out.getvalue())
    return path


def pdf_lying_page_count(path: Path, pages: int = 5000) -> Path:
    """/Count says 1, the page tree holds ``pages``: a parser trusting the count walks them all."""
    pdf_with_pages(path, pages, b"BT /F1 12 Tf 72 712 Td (x) Tj ET")
    data = path.read_bytes()
    declared = b"/Count %d" % pages
    path.write_bytes(data.replace(declared, b"/Count 1".ljust(len(declared))))
    return path


_PEAK_REPORTING_CLI = """
import atexit, runpy, sys
report = sys.argv.pop(1)
sys.argv[0] = "orgbot"

def peak():
    with open("/proc/self/status") as status, open(report, "w") as out:
        out.write(next(line.split()[1] for line in status if line.startswith("VmHWM:")))

atexit.register(peak)
runpy.run_module("bot.cli", run_name="__main__", alter_sys=True)
"""


@dataclass
class Measured:
    code: int
    output: str
    seconds: float
    peak_mib: float


def run_cli_measured(*args: str, db_url: str, cwd: Path, timeout: float = 120) -> Measured:
    """The real ``orgbot`` command; its own peak RSS (VmHWM, which starts afresh at exec, unlike
    wait4's ru_maxrss that inherits the forking parent's) is written by the child as it exits."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORGBOT_")}
    env["ORGBOT_DATABASE_URL"] = db_url
    env["ORGBOT_KNOWLEDGE_INDEX_DIR"] = str(cwd / "index")
    report = cwd / f"peak-{time.monotonic_ns()}.txt"
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_REPORTING_CLI, str(report), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    seconds = time.perf_counter() - started
    peak = int(report.read_text()) / 1024 if report.exists() else float("nan")
    report.unlink(missing_ok=True)
    return Measured(done.returncode, done.stdout + done.stderr, seconds, peak)
