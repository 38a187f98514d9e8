"""Structure-aware splitting on the real texts shipped in knowledge/corpus."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from knowledge import bundled_corpus
from knowledge.parsing import Line, read_lines
from knowledge.splitter import citation, split_document

CORPUS = bundled_corpus()


def _split(name: str):
    return split_document(read_lines(CORPUS / name), fallback_title=Path(name).stem)


def test_regulation_articles_and_chapter_paths() -> None:
    doc = _split("fazhan_dangyuan_gongzuo_xize_2026.txt")
    assert doc.meta.title == "中国共产党发展党员工作细则"
    articles = [p for p in doc.passages if p.locator.endswith("条")]
    assert len(articles) == 44  # 7 chapters, 44 articles
    by_loc = {p.locator: p for p in doc.passages}
    art14 = by_loc["第三章 › 第十四条"]
    assert art14.text.startswith("第十四条")
    assert "入党介绍人" in art14.text
    assert art14.heading.startswith("第三章 发展对象的确定和考察")
    # Items （一）（二）… stay inside their article.
    art9 = by_loc["第二章 › 第九条"]
    assert "（一）" in art9.text and "（四）" in art9.text
    assert citation(doc.meta.title, art14.locator) == "《中国共产党发展党员工作细则》第十四条"


def test_regulation_preamble_dates() -> None:
    meta = _split("fazhan_dangyuan_gongzuo_xize_2026.txt").meta
    assert meta.issued == date(2026, 5, 11)
    assert meta.revised == date(2026, 4, 2)
    assert meta.issuer == "中共中央办公厅"


def test_second_regulation_title_in_book_marks() -> None:
    doc = _split("dangyuan_jiaoyu_guanli_gongzuo_tiaoli_2019.txt")
    assert doc.meta.title == "中国共产党党员教育管理工作条例"
    assert sum(p.locator.endswith("条") for p in doc.passages) == 46
    assert any(p.locator == "第十章 › 第四十六条" for p in doc.passages)


def test_speech_numbered_heading_nesting() -> None:
    doc = _split("zuzhi_renshi_gongzuo_huiyi_fayan_2003.txt")
    assert doc.meta.title == "组织人事工作会议上的发言"
    locs = [p.locator for p in doc.passages]
    # 二、 › (一) › 4. (verbatim openings, so a locator is findable in the source text)
    reserve = next(p for p in doc.passages if p.text.startswith("4.加强后备干部"))
    parts = reserve.locator.split(" › ")
    assert parts[0].startswith("二、突出重点")
    assert parts[1].startswith("(一)全面加强干部队伍建设")
    assert parts[2] == "4.加强后备干部队伍建设"
    # 第一, items under 一、 (not under the preceding "3." item).
    first = next(p for p in doc.passages if p.text.startswith("第一,必须围绕中心"))
    assert first.locator.split(" › ")[0].startswith("一、认清形势")
    assert len(first.locator.split(" › ")) == 2
    # 一要/二要 paragraphs are parts of 三、
    assert any(loc.startswith("三、从严治部") and "二要有娴熟的业务技能" in loc for loc in locs)
    # Web-page metadata lines are not content.
    assert not any("导语" in p.text or p.text.startswith("时间:") for p in doc.passages)
    # Every plain paragraph has a distinct locator.
    assert len(set(locs)) == len(locs)


def test_markdown_headings_and_long_paragraph_chunks() -> None:
    long_para = "这是一个很长的句子，用来测试切分。" * 120
    lines = [
        Line("工作手册", 1),
        Line("报到", 2),
        Line("新同志报到时携带介绍信。"),
        Line(long_para),
    ]
    doc = split_document(lines)
    assert doc.meta.title == "工作手册"
    assert doc.passages[0].locator == "报到 › 第1段"
    chunks = [p for p in doc.passages if p.locator.startswith("报到 › 第2段")]
    assert len(chunks) > 1
    assert all(len(p.text) <= 1200 for p in chunks)


def test_notice_numbered_sentences_are_passages() -> None:
    # A notice's numbered lines are its content, not headings over missing paragraphs.
    lines = [Line(t) for t in ("关于值班的通知", "一、节假日值班安排由办公室负责。", "二、值班人员须保持通讯畅通。")]
    doc = split_document(lines)
    assert doc.meta.title == "关于值班的通知"
    assert [p.text for p in doc.passages] == ["一、节假日值班安排由办公室负责。", "二、值班人员须保持通讯畅通。"]
    assert doc.passages[0].locator == "一、节假日值班安排由办公室负责"


def test_numbered_sentence_with_paragraphs_under_it_stays_a_heading() -> None:
    lines = [
        Line(t)
        for t in (
            "工作要点",
            "一、认清形势，把握大局。",
            "当前组织工作面临新的任务和要求，必须统一思想。",
            "二、加强学习。",
        )
    ]
    doc = split_document(lines)
    texts = [p.text for p in doc.passages]
    assert "一、认清形势，把握大局。" not in texts  # a heading: its paragraph is the passage
    assert doc.passages[0].locator.startswith("一、认清形势") and doc.passages[0].locator.endswith("第1段")
    assert texts[-1] == "二、加强学习。"  # nothing under it: the line itself is citable
