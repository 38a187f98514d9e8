"""The acceptance path: genuine callbacks posted to a real `orgbot run` subprocess, answered at the fake platform.

Each platform: a callback is acknowledged and answered once; its retry is not
answered again, neither by the same process nor after a restart; a tampered
signature is refused.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from bench.support.fake_platforms import FakePlatforms
from bench.support.running_server import PLATFORMS, Orgbot


@pytest.mark.parametrize("platform", list(PLATFORMS))
async def test_callback_to_a_running_orgbot_is_answered_once_across_restarts(
    platform: str, fake: FakePlatforms, db_url: str, tmp_path: Path
):
    spec = PLATFORMS[platform]
    env = {
        "ORGBOT_DATABASE_URL": db_url,
        "ORGBOT_KNOWLEDGE_INDEX_DIR": str(tmp_path / "index"),
        "ORGBOT_LOG_LEVEL": "INFO",
        **spec.env(fake.url),
    }
    server = Orgbot(env)
    await server.start()
    try:
        assert await server.post(spec.genuine(fake.url)) == 200
        await fake.wait_for(lambda: spec.answers(fake), timeout=20)
        assert await server.post(spec.genuine(fake.url)) == 200  # the platform's retry
        assert await server.post(spec.tampered(fake.url)) == 401
    finally:
        log = await server.stop()
    assert len(spec.answers(fake)) == 1
    assert "可以帮您" in str(spec.answers(fake)[0].body)
    assert "secret" not in log.lower() and "ding-secret" not in log and "feishu-encrypt-key" not in log

    server = Orgbot(env)
    await server.start()
    try:
        assert await server.post(spec.genuine(fake.url)) == 200
    finally:
        await server.stop()
    assert len(spec.answers(fake)) == 1


async def test_sigusr1_shows_where_a_running_orgbot_waits(db_url: str, tmp_path: Path):
    """An operator's view of a server that seems stuck, without a debugger (bot/stack_dump.py)."""
    server = Orgbot({"ORGBOT_DATABASE_URL": db_url, "ORGBOT_KNOWLEDGE_INDEX_DIR": str(tmp_path / "index")})
    await server.start()
    assert server.proc is not None
    server.proc.send_signal(signal.SIGUSR1)
    await asyncio.sleep(1)
    log = await server.stop()
    assert "--- asyncio tasks ---" in log
    assert "task housekeeping" in log and "_housekeeping" in log
    assert "--- threads ---" in log and "Current thread" in log
