"""Demo cadre data: clearly fake units, cadres (演示·…), training and reserve records, and the demo staff."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from bot.app import OrgBot
from bot.cadres.importer import import_files, render_report

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo_data"
BROKEN_DIR = DEMO_DIR / "broken"


def demo_files() -> list[Path]:
    return sorted(p for p in DEMO_DIR.iterdir() if p.suffix in (".csv", ".xlsx"))


async def seed_demo(bot: OrgBot) -> None:
    """Import the bundled demo sheets; safe to run again (the import upserts).

    It links demo_staff to cadre A1001, so call it after any other step that upserts the
    demo staff, or that link is lost.
    """
    report = await import_files(
        bot.db,
        demo_files(),
        hours_per_day=bot.config.cadres.hours_per_day,
        now=bot.clock.now().astimezone(ZoneInfo(bot.config.bot.timezone)),
    )
    if not report.ok:
        raise RuntimeError("演示数据导入失败：\n" + render_report(report))
