"""``orgbot db backup`` / ``restore``: a round trip that brings back every row, refused while an instance runs."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

from sqlalchemy import MetaData, select

from bot.storage.db import create_engine
from tests.ops.processes import wait_ready
from tests.test_cli import free_port, orgbot

# The running instance renews its scheduler lease every few seconds on its own, so that row may
# differ between the backup and the moment the test reads; it is taken anew at every start anyway.
RENEWED_BY_THE_INSTANCE = {"scheduler_lease"}


async def _everything(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: what a restore must bring back exactly."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            meta = MetaData()
            await conn.run_sync(meta.reflect)
            out = {}
            for table in meta.sorted_tables:
                if table.name in RENEWED_BY_THE_INSTANCE:
                    continue
                rows = (await conn.execute(select(table))).all()
                out[table.name] = sorted(tuple(map(repr, r)) for r in rows)
            return out
    finally:
        await engine.dispose()


def _serve(db_url: str, tmp_path) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORGBOT_")}
    env.update(
        {
            "ORGBOT_DATABASE_URL": db_url,
            "ORGBOT_API_TOKEN": "t",
            "ORGBOT_KNOWLEDGE_INDEX_DIR": str(tmp_path / "index"),
        }
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_ready(f"http://127.0.0.1:{port}/readyz", proc)
    return proc, port


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)


def test_backup_while_running_and_restore_round_trip(db_url, tmp_path):
    for n in range(5):
        assert (
            orgbot("staff", "add", f"u{n}", "--name", f"人员{n}", "--im", f"wecom:U{n}", db_url=db_url).returncode == 0
        )
    backup = tmp_path / "backups" / "orgbot.backup"
    proc, _ = _serve(db_url, tmp_path)
    try:
        r = orgbot("db", "backup", str(backup), db_url=db_url)  # online: the service keeps running
        assert r.returncode == 0, r.stderr
        assert backup.is_file() and "版本" in r.stdout
        before = asyncio.run(_everything(db_url))
        # Changes after the backup, then a restore attempt while the instance still serves the database.
        assert orgbot("staff", "add", "late", "--name", "后来者", db_url=db_url).returncode == 0
        r = orgbot("db", "restore", str(backup), "--yes", db_url=db_url)
        assert r.returncode == 1 and ("拒绝恢复" in r.stderr or "会话连接着" in r.stderr), r.stderr
        assert "后来者" in orgbot("staff", "list", db_url=db_url).stdout, "a refused restore changed nothing"
    finally:
        _stop(proc)
    r = orgbot("db", "restore", str(backup), db_url=db_url)
    assert r.returncode == 2 and "--yes" in r.stderr
    r = orgbot("db", "restore", str(backup), "--yes", db_url=db_url)
    assert r.returncode == 0, r.stderr
    after = asyncio.run(_everything(db_url))
    assert after == before
    listing = orgbot("staff", "list", db_url=db_url).stdout
    assert "后来者" not in listing and all(f"u{n}" in listing for n in range(5))


def test_restore_refuses_what_is_not_a_backup(db_url, tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a backup at all" * 10)
    r = orgbot("db", "restore", str(junk), "--yes", db_url=db_url)
    assert r.returncode == 1 and "不是" in r.stderr
    r = orgbot("db", "restore", str(tmp_path / "missing"), "--yes", db_url=db_url)
    assert r.returncode == 1 and "不存在" in r.stderr


def test_pg_tool_version_check(monkeypatch, tmp_path):
    """A pg_dump older than the server is refused with the versions named."""
    import pytest

    from bot.backup import BackupError, check_pg_tool

    fake = tmp_path / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 13.4'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert check_pg_tool("pg_dump", 13) == str(fake)
    with pytest.raises(BackupError, match=r"13.*15"):
        check_pg_tool("pg_dump", 15)
