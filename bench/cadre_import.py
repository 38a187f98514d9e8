"""How long a large cadre import and a burst of lookups take; prints figures, asserts nothing.

python bench/cadre_import.py [--cadres 5000] [--courses 8] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import tempfile
import time
from pathlib import Path

from bot.app import OrgBot
from bot.cadres.importer import import_files
from bot.config import load_config
from bot.messages import ChatType, Incoming
from bot.roles import Role
from bot.staff import StaffInput, upsert_staff


def write(path: Path, rows: list[list[object]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


async def main(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="orgbot-bench-"))
    url = args.database_url or f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    units = [["单位编码", "单位名称", "上级单位编码"], ["B", "根", ""]]
    units += [[f"B{i:03d}", f"单位{i}", "B"] for i in range(100)]
    cadres = [["干部编号", "姓名", "单位编码", "职级"]]
    cadres += [
        [f"C{i:06d}", f"压测干部{i}", f"B{i % 100:03d}", "正科" if i % 3 else "副处"] for i in range(args.cadres)
    ]
    training = [["干部编号", "班次名称", "开始日期", "学时", "状态"]]
    training += [
        [f"C{i:06d}", f"课程{j}", f"2026-{(j % 12) + 1:02d}-01", 8, "已结业"]
        for i in range(args.cadres)
        for j in range(args.courses)
    ]
    files = [
        write(folder / "单位.csv", units),
        write(folder / "干部.csv", cadres),
        write(folder / "培训记录.csv", training),
    ]
    rows = len(units) + len(cadres) + len(training) - 3
    env = {
        "ORGBOT_DATABASE_URL": url,
        "ORGBOT_CADRES_LOOKUPS_PER_MINUTE": "1000000",
        "ORGBOT_CADRES_LOOKUPS_PER_DAY": "1000000",
    }
    bot = OrgBot(load_config(None, environ=env))
    await bot.start(with_channels=False, background=False)
    try:
        for label in ("first import", "re-import (no change)"):
            started = time.perf_counter()
            report = await import_files(bot.db, files)
            took = time.perf_counter() - started
            assert report.applied, report.issues[:3]
            print(f"{label:<24} {rows:>8} rows  {took:7.2f} s  {rows / took:9.0f} rows/s")
        async with bot.db() as session, session.begin():
            await upsert_staff(session, StaffInput("bench_org", "压测组织员", Role.ORGANIZER, unit_scope="B"))
        n = 200
        started = time.perf_counter()
        for i in range(n):
            await bot.handle(
                Incoming("terminal", "bench", ChatType.PRIVATE, "bench_org", f"/培训 C{(i * 37) % args.cadres:06d}")
            )
        took = time.perf_counter() - started
        print(f"{'lookups /培训':<24} {n:>8} msgs  {took:7.2f} s  {took / n * 1000:9.1f} ms each")
    finally:
        await bot.stop(timeout=1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--cadres", type=int, default=5000)
    parser.add_argument("--courses", type=int, default=8)
    parser.add_argument("--database-url")
    asyncio.run(main(parser.parse_args()))
