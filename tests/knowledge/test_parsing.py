"""File readers: every supported format, and clear refusals naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.faq import read_faq_sheet
from knowledge.importer import parse_file
from knowledge.parsing import DocumentError, read_lines


def test_txt_in_gb18030_is_decoded(tmp_path: Path) -> None:
    p = tmp_path / "old.txt"
    p.write_bytes("关于做好党费收缴工作的通知\n第一条　党员应当按月交纳党费。\n".encode("gb18030"))
    doc = parse_file(p)
    assert doc.title == "关于做好党费收缴工作的通知"
    assert doc.passages[0].locator == "第一条"


def test_markdown_headings(tmp_path: Path) -> None:
    p = tmp_path / "guide.md"
    p.write_text(
        "# 报到指南\n\n## 材料\n\n- **介绍信**一份（加盖公章）\n\n## 时间\n\n每周一上午办理。\n", encoding="utf-8"
    )
    doc = parse_file(p)
    assert doc.title == "报到指南"
    assert [x.locator for x in doc.passages] == ["材料 › 第1段", "时间 › 第1段"]
    assert doc.passages[0].text == "介绍信一份（加盖公章）"


def test_docx_heading_styles(tmp_path: Path) -> None:
    import docx

    d = docx.Document()
    d.add_heading("干部调训工作办法", level=0)
    d.add_paragraph("第一章　总则")
    d.add_paragraph("第一条　为规范干部调训工作，制定本办法。")
    d.add_paragraph("第二条　调训计划每年年初下达。")
    p = tmp_path / "diaoxun.docx"
    d.save(str(p))
    doc = parse_file(p)
    assert doc.title == "干部调训工作办法"
    assert [x.locator for x in doc.passages] == ["第一章 › 第一条", "第一章 › 第二条"]


def test_pdf_is_read_and_broken_pdf_refused(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    blank = tmp_path / "blank.pdf"
    w = PdfWriter()
    w.add_blank_page(width=200, height=200)
    with open(blank, "wb") as fh:
        w.write(fh)
    with pytest.raises(DocumentError, match=r"blank\.pdf"):
        read_lines(blank)  # no text layer: refused as empty, by name
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 garbage")
    with pytest.raises(DocumentError, match=r"broken\.pdf"):
        read_lines(broken)


@pytest.mark.parametrize("name", ["empty.txt", "empty.md"])
def test_empty_files_refused(tmp_path: Path, name: str) -> None:
    p = tmp_path / name
    p.write_text("\n \n", encoding="utf-8")
    with pytest.raises(DocumentError) as err:
        parse_file(p)
    assert name in str(err.value)


def test_unsupported_type_refused(tmp_path: Path) -> None:
    p = tmp_path / "photo.jpg"
    p.write_bytes(b"\xff\xd8")
    with pytest.raises(DocumentError, match=r"photo\.jpg"):
        parse_file(p)


def test_faq_csv_with_chinese_headers(tmp_path: Path) -> None:
    p = tmp_path / "faq.csv"
    p.write_text(
        "标签,问题,答案,相似问法\n党费,党费按什么比例交,按月工资比例交纳。,党费比例|交多少党费\n,,\n",
        encoding="utf-8",
    )
    rows = read_faq_sheet(p)
    assert len(rows) == 1
    assert rows[0].question == "党费按什么比例交"
    assert rows[0].alternates == ["党费比例", "交多少党费"]
    assert rows[0].tags == ["党费"]


def test_faq_xlsx_without_header(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["三会一课多久开一次", "支部委员会会议一般每月召开1次。", "支委会多久开一次"])
    p = tmp_path / "faq.xlsx"
    wb.save(str(p))
    rows = read_faq_sheet(p)
    assert rows[0].answer.startswith("支部委员会会议")
    assert rows[0].alternates == ["支委会多久开一次"]


def test_faq_sheet_without_entries_refused(tmp_path: Path) -> None:
    p = tmp_path / "faq.csv"
    p.write_text("问题,答案\n只有问题,\n", encoding="utf-8")
    with pytest.raises(DocumentError, match=r"faq\.csv"):
        read_faq_sheet(p)
