"""Hole 5: every uploaded xlsx/docx/pdf/csv is checked before parsing; a bomb is refused with the file's name.

Attacks replayed: the issue's 2 MB xlsx whose sheet inflates to 2 GiB through the real
``orgbot data import --dry-run`` (and staff / knowledge imports), plus the other ways to
make a parser work without end: a declared grid of 17 billion cells, rows padded to column
XFD, thousands of zip entries, entity-hidden cell references, a CSV of separators, a
.docx bomb, a PDF flate bomb, too many pages and a PDF lying about its page count.
Peak memory of each refusing process is read from the kernel (wait4); time is measured
by bench/import_bomb.py, not asserted here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from bench.support import bombs
from bot.cadres.demo import demo_files
from bot.cadres.sheets import SheetError, read_tables, write_table
from knowledge.parsing import DocumentError, read_lines
from knowledge.upload_guard import UploadLimits, UploadRefused, check_upload

MiB = 1024 * 1024
REFUSAL_BUDGET_MIB = 200


def test_the_issues_2mb_xlsx_bomb_is_refused_by_data_import_dry_run_in_bounded_memory(db_url, tmp_path):
    bomb = bombs.xlsx_zip_bomb(tmp_path / "干部名册.xlsx")
    assert bomb.stat().st_size < 3 * MiB
    run = bombs.run_cli_measured("data", "import", "--dry-run", "--no-progress", str(bomb), db_url=db_url, cwd=tmp_path)
    code, out, peak = run.code, run.output, run.peak_mib
    assert code == 1, out
    assert "干部名册.xlsx" in out and "疑似压缩炸弹" in out and "没有导入任何数据" in out
    assert "2.0 GiB" in out and "表头" not in out
    assert peak < REFUSAL_BUDGET_MIB, f"refusing took {peak:.0f} MiB"

    listed = bombs.run_cli_measured("audit", "list", "--action", "data.import", db_url=db_url, cwd=tmp_path)
    assert listed.code == 0 and "rejected" in listed.output


@pytest.mark.parametrize(
    ("command", "name", "make", "says"),
    [
        (
            ["staff", "import", "--dry-run", "--no-progress"],
            "人员.xlsx",
            bombs.xlsx_wide_rows_bomb,
            "单元格总数超过上限",
        ),
        (["kb", "import"], "常见问题.xlsx", bombs.xlsx_zip_bomb, "疑似压缩炸弹"),
        (["kb", "import"], "办法.docx", bombs.docx_zip_bomb, "word/document.xml"),
        (["kb", "import"], "条例.pdf", lambda p: bombs.pdf_with_pages(p, 3, inflate_mib=300), "数据流"),
        (["kb", "import"], "汇编.pdf", bombs.pdf_lying_page_count, "页面树过大"),
    ],
)
def test_other_importers_refuse_bombs_naming_the_file(db_url, tmp_path, command, name, make, says):
    bomb = make(tmp_path / name)
    run = bombs.run_cli_measured(*command, str(bomb), db_url=db_url, cwd=tmp_path)
    code, out, peak = run.code, run.output, run.peak_mib
    assert code == 1, out
    assert name in out and says in out and "已拒绝导入" in out, out
    assert peak < REFUSAL_BUDGET_MIB, f"refusing took {peak:.0f} MiB"
    if command[0] == "kb":
        listed = bombs.run_cli_measured("kb", "list", db_url=db_url, cwd=tmp_path)
        assert listed.code == 0 and name.rsplit(".", 1)[0] not in listed.output


def _entity_reference_sheet(path: Path) -> Path:
    """XFD1 spelled with character references, so a naive pattern would read no column at all."""
    return bombs.xlsx_with_sheet(
        path, bombs.SHEET_HEAD + b'<row r="1"><c r="&#88;&#70;&#68;1"><v>1</v></c></row>' + bombs.SHEET_TAIL
    )


def _reference_hidden_in_another_attribute(path: Path) -> Path:
    """A first r=… inside another attribute's value: only the real r="XFDn" counts for openpyxl."""
    body = b"".join(b'<row r="%d"><c ph=" r=\'A%d\'" r="XFD%d"><v>1</v></c></row>' % (i, i, i) for i in range(1, 5001))
    return bombs.xlsx_with_sheet(path, bombs.SHEET_HEAD + body + bombs.SHEET_TAIL)


def _csv_of_separators(path: Path) -> Path:
    path.write_bytes("干部编号,姓名\n".encode() + b"," * 4_100_000)
    return path


BOMBS: list[tuple[str, Callable[[Path], Path], str]] = [
    ("a.xlsx", bombs.xlsx_zip_bomb, "压缩比"),
    ("b.xlsx", bombs.xlsx_declared_grid_bomb, "行的上限"),
    ("c.xlsx", bombs.xlsx_wide_rows_bomb, "单元格总数"),
    ("d.xlsx", bombs.xlsx_many_entries, "个条目"),
    ("e.xlsx", _entity_reference_sheet, "无法识别的单元格引用"),
    ("e2.xlsx", _reference_hidden_in_another_attribute, "单元格总数"),
    ("f.csv", _csv_of_separators, "个单元格"),
    ("g.docx", bombs.docx_zip_bomb, "压缩比"),
    ("h.pdf", lambda p: bombs.pdf_with_pages(p, 3, inflate_mib=300), "数据流"),
    ("i.pdf", lambda p: bombs.pdf_with_pages(p, 2001, b"BT /F1 12 Tf 72 712 Td (x) Tj ET"), "2001 页"),
    ("j.pdf", bombs.pdf_lying_page_count, "页面树过大"),
]


@pytest.mark.parametrize(("name", "make", "says"), BOMBS, ids=[b[0] for b in BOMBS])
def test_each_kind_of_bomb_is_refused_before_parsing(tmp_path, name, make, says):
    path = make(tmp_path / name)
    with pytest.raises(UploadRefused) as refused:
        check_upload(path, table=True)
    assert str(refused.value).startswith(f"{name}：") and says in str(refused.value)
    if path.suffix in (".xlsx", ".csv"):
        with pytest.raises(SheetError, match=name):
            read_tables(path)
    else:
        with pytest.raises(DocumentError, match=name):
            from knowledge.importer import parse_file

            parse_file(path)


def test_a_zip_directory_padded_beyond_its_entry_count_is_refused(tmp_path):
    path = bombs.xlsx_many_entries(tmp_path / "pad.xlsx", entries=100)
    limits = UploadLimits(max_entries=50)
    with pytest.raises(UploadRefused, match="个条目"):
        check_upload(path, table=True, limits=limits)
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    data[end + 8 : end + 12] = (3).to_bytes(2, "little") * 2  # the end record now claims 3 entries
    path.write_bytes(bytes(data))
    with pytest.raises(UploadRefused):
        check_upload(path, table=True, limits=limits)


def test_normal_files_pass_and_still_parse(tmp_path):
    for path in demo_files():
        check_upload(path, table=True)
    damaged = tmp_path / "损坏.xlsx"
    damaged.write_bytes(b"PK\x03\x04 not really a zip")
    check_upload(damaged, table=True)  # not a bomb: the reader's own message says what is wrong
    with pytest.raises(SheetError, match=r"损坏\.xlsx：无法打开 Excel 文件"):
        read_tables(damaged)
    big = tmp_path / "培训记录.xlsx"
    rows = [[f"C{i:06d}", f"2026年第{i % 40}期中青年干部培训班", "市委党校", "2026-03-02", 96] for i in range(20_000)]
    write_table(big, "培训记录", ["干部编号", "班次名称", "举办单位", "开始日期", "学时"], rows)
    check_upload(big, table=True)
    assert len(read_tables(big)[0].rows) == 20_000

    from docx import Document

    doc = Document()
    doc.add_heading("干部请假管理办法", 1)
    for i in range(1, 200):
        doc.add_paragraph(f"第{i}条 干部请假须经单位批准，假期结束后及时销假。")
    doc.save(tmp_path / "办法.docx")
    check_upload(tmp_path / "办法.docx", table=False)
    assert len(read_lines(tmp_path / "办法.docx")) == 200

    text = b"BT /F1 12 Tf 72 712 Td (Article 1 leave rules.) Tj ET"
    pdf = bombs.pdf_with_pages(tmp_path / "rules.pdf", 30, text)
    check_upload(pdf, table=False)
    assert any("Article 1" in line.text for line in read_lines(pdf))


cell_refs = st.one_of(st.none(), st.integers(1, 40))


@settings(max_examples=40, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(st.one_of(st.none(), st.integers(1, 60)), st.lists(cell_refs, max_size=5)), min_size=1, max_size=8
    ),
    dimension=st.one_of(st.none(), st.tuples(st.integers(1, 60), st.integers(1, 40))),
)
def test_an_accepted_sheet_never_makes_openpyxl_produce_more_than_the_limits(tmp_path_factory, rows, dimension):
    """Whatever the row/cell references and the declared dimension, acceptance bounds what the reader yields."""
    from openpyxl.utils import get_column_letter

    body = b""
    for number, cells in rows:
        row_attr = b' r="%d"' % number if number else b""
        cell_xml = b"".join(
            (b'<c r="%s1"><v>1</v></c>' % get_column_letter(col).encode()) if col else b"<c><v>1</v></c>"
            for col in cells
        )
        body += b"<row%s>%s</row>" % (row_attr, cell_xml)
    head = bombs.SHEET_HEAD
    if dimension:
        ref = b"A1:%s%d" % (get_column_letter(dimension[1]).encode(), dimension[0])
        head = head.replace(b"<sheetData>", b'<dimension ref="%s"/><sheetData>' % ref)
    path = bombs.xlsx_with_sheet(tmp_path_factory.mktemp("sheet") / "s.xlsx", head + body + bombs.SHEET_TAIL)
    limits = UploadLimits(max_rows=30, max_cells=200)
    try:
        check_upload(path, table=True, limits=limits)
    except UploadRefused:
        return
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        yielded = list(wb.worksheets[0].iter_rows(values_only=True))
    finally:
        wb.close()
    assert len(yielded) <= limits.max_rows
    assert sum(len(r) for r in yielded) <= limits.max_cells
