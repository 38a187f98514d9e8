"""Importing sheets: every row checked first, all or nothing, re-imports report what changed."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from bot.cadres.demo import BROKEN_DIR, demo_files
from bot.cadres.exporter import export_all, write_templates
from bot.cadres.importer import import_files, render_report
from bot.cadres.models import Cadre, ReserveRecord, TrainingRecord, Unit
from bot.cadres.templates import KINDS
from bot.storage.models import Identity, Staff
from tests.conftest import say


def write_csv(path: Path, rows: list[list[object]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    return path


async def counts(bot) -> dict[str, int]:
    async with bot.db() as session:
        return {
            model.__tablename__: await session.scalar(select(func.count()).select_from(model))
            for model in (Unit, Cadre, TrainingRecord, ReserveRecord, Staff)
        }


async def run(bot, *paths: Path, dry_run: bool = False):
    report = await import_files(bot.db, list(paths), dry_run=dry_run)
    return report, render_report(report, dry_run=dry_run)


async def test_the_broken_demo_sheet_is_refused_row_by_row_and_changes_nothing(demo_bot):
    before = await counts(demo_bot)
    report, text = await run(demo_bot, *sorted(BROKEN_DIR.iterdir()))
    assert not report.applied
    assert "没有导入任何数据" in text
    expected = [
        "第 3 行，“干部编号”列：干部 A9999 不在干部表中",
        "第 4 行，“开始日期”列：日期 '2026-13-01' 不存在",
        "第 5 行，“学时”列：应为数字",
        "第 6 行，“结束日期”列：结束日期 2026-06-01 早于开始日期 2026-06-10",
        "第 7 行，“班次名称”列：不能为空",
        "第 8 行，“培训方式”列：培训方式 '出差' 不是可选值",
        "第 9 行，“干部编号”列：与 培训记录_有错误.csv 第 2 行重复",
    ]
    for line in expected:
        assert line in text, line
    assert "第 2 行，" not in text  # the one good row is not blamed…
    assert await counts(demo_bot) == before  # …and not imported either
    assert "2026年秋季专题网络课程" not in await say(demo_bot, "demo_admin", "/培训 A1002")


async def test_a_good_file_and_a_bad_file_together_import_nothing(bot, tmp_path):
    bad = write_csv(
        tmp_path / "培训记录.csv", [["干部编号", "班次名称", "开始日期", "学时"], ["A1001", "课", "昨天", "8"]]
    )
    units, cadres = [p for p in demo_files() if p.stem in ("单位", "干部")]
    _report, text = await run(bot, units, cadres, bad)
    assert "第 2 行，“开始日期”列：无法识别的日期 '昨天'" in text
    assert await counts(bot) == {"units": 0, "cadres": 0, "training_records": 0, "reserve_records": 0, "staff": 0}


async def test_demo_import_then_reimport_reports_no_change(bot):
    report, text = await run(bot, *demo_files())
    assert report.applied and "【干部】新增 12，更新 0，未变 0" in text
    report, text = await run(bot, *demo_files())
    assert "【干部】新增 0，更新 0，未变 12" in text and "【培训记录】新增 0，更新 0，未变 28" in text


async def test_reimport_upserts_by_cadre_id_and_says_what_changed(demo_bot, tmp_path):
    sheet = write_csv(
        tmp_path / "干部.csv",
        [
            ["干部编号", "姓名", "单位编码", "职务", "手机号码"],
            ["A1001", "演示·张伟", "U010101", "干部一科一级主任科员", "13900000001"],
            ["A1013", "演示·新人", "U0102", "科员", ""],
        ],
    )
    report, text = await run(demo_bot, sheet)
    assert report.applied
    assert "【干部】新增 1，更新 1，未变 0" in text
    assert "~ A1001 演示·张伟：职务：干部一科科长 → 干部一科一级主任科员；手机号码已更新" in text
    assert "+ A1013 演示·新人" in text
    assert "13900000001" not in text  # the report itself does not print personal numbers
    async with demo_bot.db() as session:
        cadre = await session.get(Cadre, "A1001")
    assert cadre.post == "干部一科一级主任科员" and cadre.phone == "13900000001"
    assert cadre.rank == "正科" and cadre.id_card == "000000198604120011"  # columns not in the sheet stay


async def test_dry_run_reports_changes_but_writes_nothing(demo_bot, tmp_path):
    sheet = write_csv(
        tmp_path / "单位.csv", [["单位编码", "单位名称", "上级单位编码"], ["U0105", "演示市财政局", "U01"]]
    )
    report, text = await run(demo_bot, sheet, dry_run=True)
    assert "试运行" in text and "+ U0105" in text and not report.applied
    async with demo_bot.db() as session:
        assert await session.get(Unit, "U0105") is None


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
async def test_export_then_import_changes_nothing_and_keeps_id_numbers(demo_bot, tmp_path, fmt):
    async with demo_bot.db() as session:
        written = await export_all(session, tmp_path, fmt)
    assert {p.name for p, _ in written} == {f"{k.title}.{fmt}" for k in KINDS}
    assert dict((p.stem, n) for p, n in written)["培训记录"] == 28
    exported_cadres = (tmp_path / f"干部.{fmt}").read_bytes()
    assert b"000000198604120011" not in exported_cadres
    report, text = await run(demo_bot, *(p for p, _ in written))
    assert report.applied, text
    assert "更新 0" in text and "新增 0" in text and "更新 1" not in text
    async with demo_bot.db() as session:
        assert (await session.get(Cadre, "A1001")).id_card == "000000198604120011"


async def test_full_export_has_the_whole_id_number(demo_bot, tmp_path):
    async with demo_bot.db() as session:
        await export_all(session, tmp_path, "csv", full=True)
    assert "000000198604120011" in (tmp_path / "干部.csv").read_text(encoding="utf-8-sig")


async def test_a_masked_id_number_cannot_create_a_new_cadre(demo_bot, tmp_path):
    sheet = write_csv(
        tmp_path / "干部.csv",
        [["干部编号", "姓名", "单位编码", "身份证号"], ["A2000", "演示·某", "U01", "**************1234"]],
    )
    _, text = await run(demo_bot, sheet)
    assert "第 2 行，“身份证号”列：是脱敏后的值" in text


async def test_templates_have_headers_and_an_example_row_that_import_skips(bot, tmp_path):
    paths = write_templates(tmp_path, "xlsx")
    ws = load_workbook(paths[2]).active
    assert [c.value for c in ws[1]][:3] == ["干部编号*", "姓名*", "单位编码*"]
    assert str(ws["A2"].value).startswith("示例")
    report, text = await run(bot, *paths)
    assert "没有可导入的数据行" in text and not report.applied
    assert len(report.notes) == len(KINDS)


async def test_xlsx_with_real_date_cells_serial_numbers_and_typed_dates(demo_bot, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "培训记录"
    ws.append(["干部编号*", "班次名称*", "开始日期*", "结束日期", "学时", "天数"])
    ws.append(["A1002", "日期单元格", datetime(2026, 7, 1), date(2026, 7, 3), 24, None])
    ws.append(["a1002", "Excel 序号", 46204, "2026/7/10", None, 2])
    ws.append(["Ａ１００２", "中文日期", "2026年7月20日", "2026.7.21", "16学时", None])
    path = tmp_path / "培训.xlsx"
    wb.save(path)
    report, text = await run(demo_bot, path)
    assert report.applied, text
    async with demo_bot.db() as session:
        rows = {
            t.course: t for t in await session.scalars(select(TrainingRecord).where(TrainingRecord.cadre_id == "A1002"))
        }
    assert rows["日期单元格"].start_date == date(2026, 7, 1) and rows["日期单元格"].end_date == date(2026, 7, 3)
    assert rows["Excel 序号"].start_date == date(2026, 7, 1) and rows["Excel 序号"].hours == 16
    assert rows["中文日期"].start_date == date(2026, 7, 20) and rows["中文日期"].hours == 16


async def test_csv_saved_by_chinese_excel_in_gbk(demo_bot, tmp_path):
    sheet = write_csv(
        tmp_path / "units.csv", [["单位编码", "单位名称", "上级单位编码"], ["U0106", "演示市审计局", "U01"]], "gbk"
    )
    report, text = await run(demo_bot, sheet)
    assert report.applied, text
    async with demo_bot.db() as session:
        assert (await session.get(Unit, "U0106")).name == "演示市审计局"


async def test_unknown_column_is_named_with_a_suggestion(demo_bot, tmp_path):
    sheet = write_csv(
        tmp_path / "干部.csv", [["干部编号", "姓名", "单位编码", "职称"], ["A1001", "演示·张伟", "U010101", "x"]]
    )
    _, text = await run(demo_bot, sheet)
    assert "干部.csv 第 1 行，“职称”列：未知的列名（是不是“职级”？）" in text


async def test_a_sheet_of_unknown_kind_says_what_is_missing(bot, tmp_path):
    sheet = write_csv(tmp_path / "x.csv", [["干部编号", "姓名"], ["A1", "某"]])
    _, text = await run(bot, sheet)
    assert "无法识别是哪种表" in text and "缺少必填列：单位编码" in text


async def test_unit_loops_are_refused(demo_bot, tmp_path):
    sheet = write_csv(
        tmp_path / "单位.csv", [["单位编码", "单位名称", "上级单位编码"], ["U01", "演示市直机关", "U010101"]]
    )
    _, text = await run(demo_bot, sheet)
    assert "循环" in text


async def test_id_numbers_stored_as_excel_numbers_are_refused(demo_bot, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["干部编号", "姓名", "单位编码", "身份证号"])
    ws.append(["A1001", "演示·张伟", "U010101", 110101198604120000])
    path = tmp_path / "干部.xlsx"
    wb.save(path)
    _, text = await run(demo_bot, path)
    assert "“身份证号”列：身份证号被存成了数字" in text


async def test_wrong_file_types_and_missing_files(bot, tmp_path):
    (tmp_path / "a.docx").write_text("x")
    (tmp_path / "b.xlsx").write_text("not a workbook")
    _, text = await run(bot, tmp_path / "a.docx", tmp_path / "b.xlsx", tmp_path / "nope.csv")
    assert "不支持的文件类型 .docx" in text and "无法打开 Excel 文件" in text and "找不到文件" in text


async def test_staff_sheet_links_cadres_scopes_and_im_accounts(demo_bot, tmp_path):
    sheet = write_csv(
        tmp_path / "人员.csv",
        [
            ["用户ID", "姓名", "角色", "所在单位编码", "管理单位范围", "干部编号", "企业微信账号", "钉钉账号"],
            ["lina", "演示·李娜", "工作人员", "U010101", "", "A1002", "LiNa", "ding-lina"],
            ["county_org", "演示县组织员", "组织员", "U0104", "U0104", "", "", ""],
        ],
    )
    report, text = await run(demo_bot, sheet)
    assert report.applied, text
    assert "【培训学时】演示·李娜（A1002）" in await say(demo_bot, "LiNa", "/我的培训", channel="wecom")
    assert "演示·王芳（A1010）" in await say(demo_bot, "county_org", "/培训 A1010")
    # a changed account replaces the old one
    write_csv(sheet, [["用户ID", "姓名", "角色", "企业微信账号"], ["lina", "演示·李娜", "staff", "LiNa2"]])
    report, text = await run(demo_bot, sheet)
    assert "企业微信账号：LiNa → LiNa2" in text
    async with demo_bot.db() as session:
        ids = set(await session.scalars(select(Identity.platform_user_id)))
    assert "LiNa2" in ids and "LiNa" not in ids and "ding-lina" in ids


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["x1", "某", "组织员", "", "", "", ""], "组织员必须填写管理的单位编码"),
        (["x1", "某", "boss", "", "", "", ""], "角色 'boss' 不是可选值"),
        (["x1", "某", "staff", "U9999", "", "", ""], "单位 U9999 不存在"),
        (["x1", "某", "staff", "", "", "A9999", ""], "干部 A9999 不在干部表中"),
        (["x 1", "某", "staff", "", "", "", ""], "只能包含字母、数字"),
    ],
)
async def test_bad_staff_rows(demo_bot, tmp_path, row, message):
    sheet = write_csv(
        tmp_path / "人员.csv",
        [["用户ID", "姓名", "角色", "所在单位编码", "管理单位范围", "干部编号", "企业微信账号"], row],
    )
    _, text = await run(demo_bot, sheet)
    assert message in text and "没有导入任何数据" in text


async def test_an_im_account_owned_by_someone_else_is_refused(demo_bot, tmp_path):
    header = ["用户ID", "姓名", "角色", "企业微信账号"]
    await run(demo_bot, write_csv(tmp_path / "a.csv", [header, ["p1", "甲", "staff", "shared"]]))
    _, text = await run(demo_bot, write_csv(tmp_path / "b.csv", [header, ["p2", "乙", "staff", "shared"]]))
    assert "“企业微信账号”列：shared 已绑定给人员 p1" in text


async def test_reserve_measures_are_read_and_replaced(demo_bot, tmp_path):
    header = ["干部编号", "后备类别", "入库日期", "培养措施", "退出日期", "退出原因"]
    sheet = write_csv(
        tmp_path / "后备干部.csv",
        [header, ["A1008", "副处级后备", "2025-03-01", "轮岗：演示市教育局办公室（2026-01-01至2026-12-31）", "", ""]],
    )
    _report, text = await run(demo_bot, sheet)
    assert "~ A1008 副处级后备：培养措施：（空） → 轮岗：演示市教育局办公室（2026-01-01至2026-12-31）" in text
    assert "轮岗：演示市教育局办公室（2026-01-01 至 2026-12-31） 进行中" in await say(
        demo_bot, "demo_admin", "/后备 A1008"
    )
    write_csv(sheet, [header, ["A1008", "副处级后备", "2025-03-01", "挂职（2026-13-01至）", "", ""]])
    _, text = await run(demo_bot, sheet)
    assert "“培养措施”列" in text and "日期有误" in text
    write_csv(sheet, [header, ["A1008", "副处级后备", "2025-03-01", "", "", "调离"]])
    _, text = await run(demo_bot, sheet)
    assert "填写了退出原因，但没有退出日期" in text


async def test_large_files_report_progress(demo_bot, tmp_path):
    rows = [["干部编号", "班次名称", "开始日期", "学时"]]
    rows += [["A1008", f"网络课程第{i}讲", "2026-01-05", "1"] for i in range(1200)]
    seen: list[tuple[str, int, int]] = []
    report = await import_files(
        demo_bot.db, [write_csv(tmp_path / "t.csv", rows)], progress=lambda s, d, t: seen.append((s, d, t))
    )
    assert report.applied
    assert ("检查", 1200, 1200) in seen and ("写入", 1200, 1200) in seen
    assert len(seen) < 30
