"""Run `orgbot run` as a real process against a test database, and look at what it did."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from bot.app import OrgBot
from bot.channels.local import LocalChannel
from bot.config import Config
from bot.scheduling import schedules as sched
from bot.scheduling.models import OutboxRow
from bot.scheduling.rules import Policy, Rule
from bot.scheduling.targets import TargetSpec
from bot.storage.db import create_engine
from bot.storage.models import LocalInboxMessage, Staff


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_service(
    db_url: str, workdir: Path, name: str, per_second: float = 250.0, **extra_env: str
) -> tuple[subprocess.Popen, Path]:
    log = workdir / f"{name}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORGBOT_")}
    env.update(
        {
            "ORGBOT_DATABASE_URL": db_url,
            "ORGBOT_API_TOKEN": "t",
            "ORGBOT_KNOWLEDGE_INDEX_DIR": str(workdir / "index"),
            "ORGBOT_OUTBOX_LOCAL_PER_SECOND": str(per_second),
            "ORGBOT_SCHEDULER_POLL_SECONDS": "0.5",
            "ORGBOT_LOG_LEVEL": "INFO",
            **extra_env,
        }
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--port", str(free_port())],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    return proc, log


async def seed_notice(config: Config, people: int) -> None:
    """``people`` staff in unit U01 and an urgent notice to all of them, due now."""
    bot = OrgBot(config)
    bot.add_channel(LocalChannel())
    await bot.start(background=False)
    try:
        async with bot.db() as session, session.begin():
            now = bot.clock.now()
            await session.execute(
                insert(Staff),
                [
                    {
                        "user_id": f"p{i:04d}",
                        "name": f"人员{i}",
                        "role": "staff",
                        "unit": "U01",
                        "active": True,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in range(people)
                ],
            )
        policy = Policy.from_config(config)
        at = now.astimezone(policy.tz).replace(tzinfo=None, microsecond=0).isoformat()
        draft = sched.ScheduleDraft(
            "全体党员大会", "请准时参加", Rule("once", at=at, shift="none"), [TargetSpec("unit", "U01")], urgent=True
        )
        async with bot.db() as session, session.begin():
            await sched.create(session, draft, "admin1", now - timedelta(seconds=1), policy)
    finally:
        await bot.stop(timeout=1)


async def counts(db_url: str) -> tuple[int, int]:
    """(inbox rows, outbox rows not yet sent)."""
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            inbox = await conn.scalar(select(func.count()).select_from(LocalInboxMessage))
            waiting = await conn.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.status != "sent"))
            total = await conn.scalar(select(func.count()).select_from(OutboxRow))
    finally:
        await engine.dispose()
    return inbox or 0, (waiting or 0) if total else -1


async def copies_per_person(db_url: str) -> dict[str, int]:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(LocalInboxMessage.user_id, func.count()).group_by(LocalInboxMessage.user_id)
            )
            return dict(rows.all())
    finally:
        await engine.dispose()


async def wait_for(check: Callable[[], object], what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def seed_admin(config: Config, user_id: str = "admin1") -> None:
    bot = OrgBot(config)
    bot.add_channel(LocalChannel())
    await bot.start(background=False)
    try:
        async with bot.db() as session, session.begin():
            now = bot.clock.now()
            session.add(
                Staff(
                    user_id=user_id,
                    name="王书记",
                    role="admin",
                    unit="U00",
                    active=True,
                    created_at=now,
                    updated_at=now,
                )
            )
    finally:
        await bot.stop(timeout=1)


async def outbox_texts(db_url: str, user_id: str) -> list[str]:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            return list(await conn.scalars(select(OutboxRow.text).where(OutboxRow.user_id == user_id)))
    finally:
        await engine.dispose()


async def unsent_notice_rows(db_url: str) -> int:
    """Rows of scheduled pushes (not admin reports) that are not sent yet."""
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            return (
                await conn.scalar(
                    select(func.count())
                    .select_from(OutboxRow)
                    .where(OutboxRow.schedule_id.is_not(None), OutboxRow.status != "sent")
                )
                or 0
            )
    finally:
        await engine.dispose()
