"""`orgbot schedule` and `orgbot outbox` as an admin uses them: real subprocesses, real databases."""

from __future__ import annotations

import asyncio

from sqlalchemy import update

from bot.scheduling.models import OutboxRow
from bot.storage.db import create_engine
from tests.test_cli import orgbot


def test_add_previews_the_next_fire_times_and_creates_only_with_yes(db_url):
    assert orgbot("staff", "add", "zs", "--name", "张三", "--unit", "U01", db_url=db_url).returncode == 0
    preview = orgbot("schedule", "add", "--template", "qiyi", "--when", "6月20日前", "--to", "单位:U01", db_url=db_url)
    assert preview.returncode == 0, preview.stderr
    assert "截止提醒：七一表彰推荐" in preview.stdout and "接下来 5 次发送" in preview.stdout
    assert "加 --yes 创建" in preview.stdout
    assert "还没有提醒" in orgbot("schedule", "list", db_url=db_url).stdout

    made = orgbot(
        "schedule",
        "add",
        "--template",
        "qiyi",
        "--when",
        "6月20日前",
        "--to",
        "单位:U01",
        "--yes",
        "--by",
        "admin1",
        db_url=db_url,
    )
    assert made.returncode == 0 and "已创建 #1" in made.stdout
    assert "七一表彰推荐" in orgbot("schedule", "list", db_url=db_url).stdout

    paused = orgbot("schedule", "pause", "1", "--by", "admin1", db_url=db_url)
    assert "已暂停 #1" in paused.stdout
    shown = orgbot("schedule", "show", "1", db_url=db_url).stdout
    assert "已暂停" in shown and "admin1 create" in shown and "admin1 pause" in shown
    resumed = orgbot("schedule", "resume", "1", db_url=db_url).stdout
    assert "已恢复 #1" in resumed and "截止前" in resumed


def test_ambiguous_time_is_asked_back_and_unknown_person_named(db_url):
    result = orgbot("schedule", "add", "--name", "会", "--when", "下周三3点", "--to", "全体", db_url=db_url)
    assert result.returncode == 2 and "上午 3 点还是下午 3 点" in result.stderr
    result = orgbot("schedule", "add", "--name", "会", "--when", "12月3日 15:00", "--to", "赵六", db_url=db_url)
    assert result.returncode == 2 and "找不到人员“赵六”" in result.stderr
    assert orgbot("schedule", "show", "9", db_url=db_url).returncode == 2


def test_failed_pushes_are_listed_and_retried(db_url):
    orgbot("staff", "add", "zs", "--name", "张三", db_url=db_url)
    orgbot("schedule", "add", "--name", "报送", "--when", "12月30日 10:00", "--to", "@zs", "--yes", db_url=db_url)
    queued = orgbot("schedule", "run-now", "1", db_url=db_url)
    assert "1 位接收人" in queued.stdout

    async def fail_it() -> None:
        engine = create_engine(db_url)
        async with engine.begin() as conn:
            await conn.execute(update(OutboxRow).values(status="failed", attempts=8, last_error="平台返回 60020"))
        await engine.dispose()

    asyncio.run(fail_it())
    listed = orgbot("outbox", "list", "--failed", db_url=db_url).stdout
    assert "失败 1" in listed and "平台返回 60020" in listed and "local:zs" in listed
    assert "已重新排队 1 条" in orgbot("outbox", "retry", db_url=db_url).stdout
    assert "待发送 1" in orgbot("outbox", "list", db_url=db_url).stdout


def test_receipts_show_group_confirmations_apart_and_export_xlsx(db_url, tmp_path):
    from datetime import UTC, datetime

    from openpyxl import load_workbook

    from bot.scheduling.models import Receipt

    orgbot("staff", "add", "zs", "--name", "张三", "--unit", "U01", db_url=db_url)
    orgbot("staff", "add", "far", "--name", "远方,外单位", "--unit", "U02", db_url=db_url)
    made = orgbot(
        "schedule", "add", "--name", "党员大会", "--event", "12月30日 15:00", "--to", "群:group-1 单位:U01",
        "--yes", db_url=db_url,
    )  # fmt: skip
    assert "已创建 #1" in made.stdout, made.stderr
    assert "2 位接收人" in orgbot("schedule", "run-now", "1", db_url=db_url).stdout  # the group and 张三

    async def confirm_in_group() -> None:
        engine = create_engine(db_url)
        async with engine.begin() as conn:
            await conn.execute(
                Receipt.__table__.insert().values(
                    schedule_id=1,
                    user_id="far",
                    name="远方,外单位",
                    notified_at=None,
                    confirmed_at=datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
                    confirmed_via="群:terminal:group-1",
                )
            )
        await engine.dispose()

    asyncio.run(confirm_in_group())
    shown = orgbot("schedule", "receipts", "1", db_url=db_url).stdout
    assert "已确认 0/1" in shown and "未确认  zs" in shown and "群内确认 far" in shown
    path = tmp_path / "receipts.xlsx"
    assert "已导出 2 行" in orgbot("schedule", "receipts", "1", "--export", str(path), db_url=db_url).stdout
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert rows[1][:3] == ("zs", "张三", "未确认")
    assert rows[2][:3] == ("far", "远方,外单位", "已确认（群内）")


def test_edit_and_remove_preview_first_and_apply_only_with_yes(db_url):
    """Issue 11, item 11: edits and removals get the same preview and --yes as creation."""
    assert orgbot("staff", "add", "zs", "--name", "张三", "--unit", "U01", db_url=db_url).returncode == 0
    made = orgbot(
        "schedule", "add", "--template", "qiyi", "--when", "6月20日前", "--to", "单位:U01", "--yes", db_url=db_url
    )
    assert made.returncode == 0 and "已创建 #1" in made.stdout

    preview = orgbot("schedule", "edit", "1", "--when", "每月20日前", db_url=db_url)
    assert preview.returncode == 0, preview.stderr
    assert "将修改 #1 七一表彰推荐" in preview.stdout and "加 --yes 修改" in preview.stdout
    assert "注意：类型将由" in preview.stdout and "重复" in preview.stdout
    assert "修改后接下来 5 次发送" in preview.stdout
    assert "每月" not in orgbot("schedule", "show", "1", db_url=db_url).stdout.split("修改记录")[0]

    applied = orgbot("schedule", "edit", "1", "--name", "七一表彰推荐（第二批）", "--yes", db_url=db_url)
    assert applied.returncode == 0 and "已修改 #1" in applied.stdout

    asked = orgbot("schedule", "remove", "1", db_url=db_url)
    assert asked.returncode == 0 and "将删除 #1" in asked.stdout and "加 --yes 删除" in asked.stdout
    assert "七一表彰推荐（第二批）" in orgbot("schedule", "list", db_url=db_url).stdout
    removed = orgbot("schedule", "remove", "1", "--yes", db_url=db_url)
    assert removed.returncode == 0 and "已删除 #1" in removed.stdout
    assert "还没有提醒" in orgbot("schedule", "list", db_url=db_url).stdout


def test_records_templates_from_the_cli(db_url, tmp_path):
    from bot.cadres.demo import demo_files

    imported = orgbot("data", "import", *(str(p) for p in demo_files()), "--no-progress", db_url=db_url)
    assert imported.returncode == 0, imported.stderr
    preview = orgbot("schedule", "add", "--template", "xueshi", db_url=db_url)
    assert preview.returncode == 0, preview.stderr
    assert "学时预警：3 个检查点" in preview.stdout and "加 --yes 创建" in preview.stdout
    made = orgbot("schedule", "add", "--template", "xueshi", "--yes", "--by", "admin1", db_url=db_url)
    assert "已创建 #1 学时预警（6月30日）" in made.stdout and "已创建 #3 学时预警（11月15日）" in made.stdout
    again = orgbot("schedule", "add", "--template", "xueshi", "--when", "6月30日", "--yes", db_url=db_url)
    assert "检查点 6月30日 已启用，未重复创建" in again.stdout
    reserve = orgbot("schedule", "add", "--template", "houbei", "--when", "12月15日 10:00", "--yes", db_url=db_url)
    assert "已创建 #4 后备干部复核（12月15日 10:00）" in reserve.stdout

    shown = orgbot("schedule", "preview", "4", db_url=db_url)
    assert shown.returncode == 0, shown.stderr
    assert "下次检查点" in shown.stdout and "（预览，不发送）" in shown.stdout
    assert "组织员名单：1 份；管理员全局情况：1 份" in shown.stdout
    assert "学时预警" in orgbot("schedule", "preview", "1", db_url=db_url).stdout
    out = tmp_path / "落后.csv"
    exported = orgbot("schedule", "behind", "--unit", "U0101", "--export", str(out), db_url=db_url)
    assert exported.returncode == 0 and "已导出" in exported.stdout, exported.stderr
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("干部编号,姓名,单位编码")
    assert {line.split(",")[2] for line in lines[1:]} <= {"U0101", "U010101", "U010102"}
    missing = orgbot("schedule", "add", "--name", "会", "--when", "12月3日 15:00", db_url=db_url)
    assert missing.returncode == 2 and "--to" in missing.stderr
