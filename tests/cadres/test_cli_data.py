"""The newcomer's path on the command line: templates, a refused sheet, the demo import, chats, the audit log."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

from bot.cadres.demo import BROKEN_DIR, demo_files


def orgbot(*args: str, db_url: str, stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORGBOT_")}
    env["ORGBOT_DATABASE_URL"] = db_url
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def test_templates_import_chat_and_audit(db_url, tmp_path):
    result = orgbot("data", "template", str(tmp_path / "tpl"), db_url=db_url)
    assert result.returncode == 0, result.stderr
    assert {p.name for p in (tmp_path / "tpl").iterdir()} == {
        "人员.xlsx",
        "单位.xlsx",
        "干部.xlsx",
        "培训记录.xlsx",
        "后备干部.xlsx",
    }

    broken = orgbot("data", "import", *map(str, sorted(BROKEN_DIR.iterdir())), db_url=db_url)
    assert broken.returncode == 1
    assert "没有导入任何数据" in broken.stdout and "第 4 行，“开始日期”列" in broken.stdout

    good = orgbot("data", "import", *map(str, demo_files()), db_url=db_url)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "【干部】新增 12" in good.stdout

    staff = orgbot("staff", "import", str(next(p for p in demo_files() if p.stem == "人员")), db_url=db_url)
    assert staff.returncode == 0 and "【人员】新增 0，更新 0，未变 3" in staff.stdout

    questions = "/培训 A1003\n/后备 A1005\n/干部 A1004\n"
    admin = orgbot("chat", "--user", "demo_admin", stdin=questions, db_url=db_url).stdout
    organizer = orgbot("chat", "--user", "demo_organizer", stdin=questions, db_url=db_url).stdout
    staff_out = orgbot("chat", "--user", "demo_staff", stdin=questions + "/我的培训\n", db_url=db_url).stdout
    assert "演示·王芳（A1003）" in admin and "演示·陈静（A1005）" in admin and "000000197911300034" in admin
    assert "演示·王芳（A1003）" in organizer and "演示·陈静" not in organizer and "**************0034" in organizer
    assert staff_out.count("没有找到您有权查看的干部记录") == 3 and "演示·张伟（A1001）" in staff_out

    listing = orgbot("audit", "list", "--user", "demo_staff", db_url=db_url)
    assert listing.returncode == 0
    assert listing.stdout.count("demo_staff（staff）") == 4
    assert "denied" in listing.stdout and "allowed" in listing.stdout and "demo_admin" not in listing.stdout
    older = orgbot("audit", "list", "--user", "demo_staff", "--limit", "3", "--page", "2", db_url=db_url)
    assert older.stdout.count("demo_staff（staff）") == 1 and "第 2/2 页" in older.stdout, older.stdout

    out = tmp_path / "audit.xlsx"
    exported = orgbot("audit", "export", str(out), "--cadre", "a1005", "--action", "cadre", db_url=db_url)
    assert exported.returncode == 0, exported.stderr
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("时间", "操作人", "角色")
    assert sorted((r[1], r[8]) for r in rows[1:]) == [
        ("demo_admin", "allowed"),
        ("demo_organizer", "denied"),
        ("demo_staff", "denied"),
    ]

    imports = orgbot("audit", "list", "--action", "data.import", db_url=db_url)
    assert imports.stdout.count("data.import") == 3 and "rejected" in imports.stdout

    bad = orgbot("audit", "list", "--since", "上周", db_url=db_url)
    assert bad.returncode == 2 and "日期有误" in bad.stderr


def test_export_writes_every_kind_with_masked_id_numbers(db_url, tmp_path):
    assert orgbot("data", "import", *map(str, demo_files()), db_url=db_url).returncode == 0
    result = orgbot("data", "export", str(tmp_path / "out"), "--format", "csv", db_url=db_url)
    assert result.returncode == 0, result.stderr
    assert "干部.csv（12 行）" in result.stdout and "培训记录.csv（28 行）" in result.stdout
    text = (tmp_path / "out" / "干部.csv").read_text(encoding="utf-8-sig")
    assert "**************0011" in text and "000000198604120011" not in text
    again = orgbot("data", "import", *map(str, sorted((tmp_path / "out").iterdir())), db_url=db_url)
    assert again.returncode == 0 and "更新 0" in again.stdout and "新增 0" in again.stdout
