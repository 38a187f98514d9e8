"""Folder imports skip non-content files; titles keep meaningful spaces."""

from __future__ import annotations

import shutil
from pathlib import Path

from knowledge import KnowledgeBase, bundled_corpus
from knowledge.splitter import display_title

XIZE = "fazhan_dangyuan_gongzuo_xize_2026"


def test_display_title_keeps_latin_spaces_and_drops_cjk_ones() -> None:
    assert display_title("Real regulation texts") == "Real regulation texts"
    assert display_title("《中国共产党 发展党员工作细则》") == "中国共产党发展党员工作细则"
    assert display_title("  Party  work 手册 2024 ") == "Party work手册2024"


async def test_folder_import_skips_readme_sources_license_and_underscore_files(engine, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(bundled_corpus() / f"{XIZE}.txt", folder)
    (folder / "SOURCES.md").write_text("# Real regulation texts\n\nWhere the files come from.\n", "utf-8")
    (folder / "README.md").write_text("# Read me\n\nHow to use this folder.\n", "utf-8")
    (folder / "LICENSE.txt").write_text("Some license text.\n", "utf-8")
    (folder / "CHANGELOG.md").write_text("# Changes\n\n- first\n", "utf-8")
    (folder / "_draft.txt").write_text("草稿\n一、内容\n草稿内容不应导入。\n", "utf-8")
    (folder / ".hidden.txt").write_text("隐藏\n一、内容\n隐藏文件。\n", "utf-8")
    kb = await KnowledgeBase.open(engine, tmp_path / "idx")
    report = await kb.import_paths([folder])
    assert report.added == [XIZE]
    skipped = sorted(Path(p).name for p in report.skipped)
    assert skipped == ["CHANGELOG.md", "LICENSE.txt", "README.md", "SOURCES.md", "_draft.txt"]
    assert [d.doc_key for d in await kb.list_documents()] == [XIZE]


async def test_explicitly_named_sources_file_is_imported_with_spaced_title(engine, tmp_path: Path) -> None:
    path = tmp_path / "SOURCES.md"
    path.write_text("# Real regulation texts\n\n## Origin\n\nThe texts were copied from the official site.\n", "utf-8")
    kb = await KnowledgeBase.open(engine, tmp_path / "idx")
    report = await kb.import_paths([path])
    assert report.added == ["SOURCES"] and report.skipped == []
    (doc,) = await kb.list_documents()
    assert doc.title == "Real regulation texts"
