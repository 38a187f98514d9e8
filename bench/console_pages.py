"""Server time of each admin-console page on a large database; prints figures, asserts nothing.

10,000 schedules, 10,000 cadres (with training records), 100,000 knowledge passages, 50,000
audit rows and 10,000 outbox rows; each page is requested once to warm up, then ``--runs``
times, and the server's own time (the console's Server-Timing header) is reported.
Target (issue 14): every page within 200 ms.

    python bench/console_pages.py [--runs 5] [--schedules 10000] [--cadres 10000] [--passages 100000] [--dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp import CookieJar
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.kb_speed import synthetic_passages  # noqa: E402
from bench.scheduler_bench import make_bot, store_schedules  # noqa: E402
from bot.auth.logins import Actor, LoginService  # noqa: E402
from bot.cadres.importer import import_files  # noqa: E402
from bot.roles import Role  # noqa: E402
from bot.scheduling.models import OutboxRow  # noqa: E402
from bot.staff import StaffInput, upsert_staff  # noqa: E402
from bot.storage.models import AuditEntry  # noqa: E402

TARGET_MS = 200.0
CSRF_RE = re.compile(r'name="csrf-token" content="([0-9a-f]+)"')


def write_csv(path: Path, rows: list[list[object]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def cadre_sheets(folder: Path, n: int) -> list[Path]:
    units = [["单位编码", "单位名称", "上级单位编码"], ["B", "压测根单位", ""]]
    units += [[f"B{i:03d}", f"压测单位{i}", "B"] for i in range(100)]
    cadres = [["干部编号", "姓名", "单位编码", "职级"]]
    cadres += [[f"C{i:06d}", f"压测干部{i}", f"B{i % 100:03d}", "正科" if i % 3 else "副处"] for i in range(n)]
    training = [["干部编号", "班次名称", "开始日期", "学时", "状态"]]
    training += [[f"C{i:06d}", f"课程{j}", f"2026-{j + 1:02d}-01", 8, "已结业"] for i in range(n) for j in range(3)]
    return [
        write_csv(folder / "单位.csv", units),
        write_csv(folder / "干部.csv", cadres),
        write_csv(folder / "培训记录.csv", training),
    ]


def policy_files(folder: Path, passages: int, per_file: int = 5000) -> list[Path]:
    """Regulation-like text files whose 条 the importer splits into ``passages`` passages."""
    out: list[Path] = []
    texts = synthetic_passages(passages)
    for start in range(0, passages, per_file):
        body = "\n\n".join(f"第{k + 1}条 {text}" for k, (_, _, text) in enumerate(texts[start : start + per_file]))
        path = folder / f"压测规定{start // per_file:03d}.txt"
        path.write_text(f"压测规定第{start // per_file}号\n\n{body}\n", encoding="utf-8")
        out.append(path)
    return out


async def fill(url: str, folder: Path, args: argparse.Namespace) -> None:
    started = time.perf_counter()
    await store_schedules(url, args.schedules)
    print(f"schedules      {args.schedules:>8}  {time.perf_counter() - started:6.1f} s", flush=True)
    bot = make_bot(url, ORGBOT_KNOWLEDGE_INDEX_DIR=str(folder / "index"))
    await bot.start(background=False)
    try:
        started = time.perf_counter()
        report = await import_files(bot.db, cadre_sheets(folder, args.cadres))
        assert report.applied, report.issues[:3]
        print(f"cadres         {args.cadres:>8}  {time.perf_counter() - started:6.1f} s", flush=True)
        started = time.perf_counter()
        kb = await bot.kb.get()
        await kb.import_paths(policy_files(folder, args.passages))
        stats = await kb.stats()
        print(f"passages       {stats['passages']:>8}  {time.perf_counter() - started:6.1f} s", flush=True)
        for i in range(200):
            await kb.record_unanswered(f"压测未解答问题{i}", user_id="bench0")
        now = bot.clock.now()
        async with bot.db() as session, session.begin():
            await upsert_staff(session, StaffInput("bench_admin", "压测管理员", Role.ADMIN, unit="B"))
            await upsert_staff(session, StaffInput("bench_org", "压测组织员", Role.ORGANIZER, unit="B", unit_scope="B"))
            audit = [
                {"at": now, "actor": f"bench{i % 50}", "actor_role": "staff", "channel": "wecom", "chat_id": "",
                 "action": "cadre.training", "outcome": "allowed", "query": "", "subject": f"C{i % args.cadres:06d}",
                 "detail": ""}
                for i in range(50_000)
            ]  # fmt: skip
            for start in range(0, len(audit), 5000):
                await session.execute(insert(AuditEntry), audit[start : start + 5000])
            outbox = [
                {"idempotency_key": f"bench:{i}", "fire_at": now, "channel": "wecom", "user_id": f"bench{i % 50}",
                 "text": "【提醒】压测", "status": "failed" if i % 10 == 0 else "sent", "attempts": 8 if i % 10 == 0 else 1,
                 "next_attempt_at": now, "last_error": "errcode 60020" if i % 10 == 0 else "", "recipient": f"bench{i % 50}"}
                for i in range(10_000)
            ]  # fmt: skip
            await session.execute(insert(OutboxRow), outbox)
    finally:
        await bot.stop(timeout=1)


async def log_in(bot: Any, client: TestClient[Any, Any], user_id: str) -> str:
    link = await LoginService(bot).issue_link(user_id, Actor("bench", "cli", "cli"), "/admin/")
    token = link.url.split("?t=", 1)[1].split("&", 1)[0]
    await client.post("/login", data={"t": token, "next": "/admin/"}, allow_redirects=False)
    found = CSRF_RE.search(await (await client.get("/admin/")).text())
    assert found, "login failed"
    return found.group(1)


async def measure(url: str, folder: Path, args: argparse.Namespace) -> None:
    bot = make_bot(
        url,
        ORGBOT_KNOWLEDGE_INDEX_DIR=str(folder / "index"),
        ORGBOT_CADRES_LOOKUPS_PER_MINUTE="100000",
        ORGBOT_CADRES_LOOKUPS_PER_DAY="100000",
    )
    await bot.start(background=False)
    await bot.kb.get()  # the index is loaded once per process, not per page
    pages: list[tuple[str, str, str, dict[str, str]]] = [
        ("admin", "GET", "/admin/", {}),
        ("admin", "GET", "/admin/schedules", {}),
        ("admin", "GET", f"/admin/schedules?page={args.schedules // 50}", {}),
        ("admin", "GET", "/admin/schedules/1", {}),
        ("admin", "GET", "/admin/schedules/1/edit", {}),
        ("admin", "GET", "/admin/schedules/new", {}),
        (
            "admin",
            "POST",
            "/admin/schedules/preview",
            {"name": "x", "when": "每月最后一个工作日 16:00", "to": "单位:B"},
        ),
        ("admin", "GET", "/admin/schedules/calendar", {}),
        ("admin", "GET", "/admin/notices", {}),
        ("admin", "GET", "/admin/knowledge", {}),
        ("admin", "GET", "/admin/knowledge/test?q=党费每月什么时候交", {}),
        ("admin", "GET", "/admin/knowledge/unanswered", {}),
        ("admin", "GET", "/admin/knowledge/feedback", {}),
        ("admin", "GET", "/admin/cadres", {}),
        ("admin", "POST", "/admin/cadres/record", {"q": "C004321", "kind": "training"}),
        ("admin", "GET", "/admin/audit", {}),
        ("admin", "GET", "/admin/audit?cadre=C004321", {}),
        ("admin", "GET", "/admin/staff", {}),
        ("admin", "GET", "/admin/outbox", {}),
        ("organizer", "GET", "/admin/", {}),
        ("organizer", "GET", "/admin/schedules", {}),
        ("organizer", "POST", "/admin/cadres/record", {"q": "C004321", "kind": "profile"}),
    ]
    clients: dict[str, tuple[TestClient[Any, Any], str]] = {}
    try:
        for who, user in (("admin", "bench_admin"), ("organizer", "bench_org")):
            client = TestClient(TestServer(bot.web_app(), host="127.0.0.1"), cookie_jar=CookieJar(unsafe=True))
            await client.start_server()
            clients[who] = (client, await log_in(bot, client, user))
        print(f"\n{'page':<58}{'median ms':>10}{'max ms':>9}  (server time; target ≤ {TARGET_MS:.0f} ms)")
        worst = 0.0
        for who, method, path, form in pages:
            client, csrf = clients[who]
            times = []
            for _ in range(args.runs + 1):
                if method == "GET":
                    resp = await client.get(path, allow_redirects=False)
                else:
                    resp = await client.post(path, data={**form, "csrf": csrf}, allow_redirects=False)
                await resp.read()
                assert resp.status == 200, (path, resp.status)
                times.append(float(resp.headers["Server-Timing"].split("dur=")[1]))
            median, top = statistics.median(times[1:]), max(times[1:])
            worst = max(worst, median)
            flag = "" if median <= TARGET_MS else "  ✗ over target"
            print(f"{who[:3]} {method:<4} {path[:48]:<49}{median:>10.1f}{top:>9.1f}{flag}")
        print(f"\nslowest page (median): {worst:.1f} ms")
    finally:
        for client, _ in clients.values():
            await client.close()
        await bot.stop(timeout=1)


async def main(args: argparse.Namespace) -> None:
    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="orgbot-console-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    if args.dir and (folder / "filled").exists():
        print(f"reusing the data in {folder}")
    else:
        await fill(url, folder, args)
        (folder / "filled").touch()
    await measure(url, folder, args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--schedules", type=int, default=10_000)
    parser.add_argument("--cadres", type=int, default=10_000)
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--database-url", help="an empty database (default: a new SQLite file)")
    parser.add_argument("--dir", help="keep the data here and reuse it on the next run (SQLite)")
    asyncio.run(main(parser.parse_args()))
