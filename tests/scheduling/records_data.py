"""Cadre sheets written for the reminders-from-the-records tests, imported through the real importer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from bot.app import OrgBot
from bot.cadres.importer import import_files, render_report

UNITS = "单位编码*,单位名称*,上级单位编码\n"
CADRES = "干部编号*,姓名*,单位编码*,职务,职级\n"
TRAINING = "干部编号*,班次名称*,开始日期*,结束日期,学时,状态\n"
RESERVE = "干部编号*,后备类别*,入库日期*,考察状态,培养措施\n"
STAFF = "用户ID*,姓名*,角色*,所在单位编码,管理单位范围,干部编号\n"


def sheet(folder: Path, name: str, header: str, rows: Sequence[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.csv"
    path.write_text(header + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


async def load(bot: OrgBot, paths: Sequence[Path], now: datetime) -> None:
    report = await import_files(bot.db, list(paths), now=now)
    assert report.ok, render_report(report)


def training_rows(cadre_id: str, hours_by_year: dict[int, float]) -> list[str]:
    """One finished course per year (mid-year), so the year a course counts for is plain."""
    return [
        f"{cadre_id},{year}年度培训,{year}-03-02,{year}-03-20,{hours:g},已结业" for year, hours in hours_by_year.items()
    ]
