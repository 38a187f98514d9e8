"""Rolling upgrade: an instance of the previous release keeps answering while the new migrations apply.

The previous release is taken from git history (PREVIOUS_RELEASE, whose newest migration is
0005_durable_inbox) and run as it was, against a database at its schema; this tree's
``orgbot db upgrade`` then applies the newer migrations while it serves chats and a signed
callback, before and after. A static check keeps later migrations additive, or listed as
not additive in docs/deploy.md.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from bench.support import feishu_peer
from bot.storage import migrate
from tests.channels.conftest import fake  # noqa: F401  (fixture)
from tests.ops.processes import wait_ready
from tests.test_cli import free_port, orgbot

ROOT = Path(__file__).resolve().parents[2]
PREVIOUS_RELEASE = "d1956bc"  # main when the durable inbox landed: migrations up to 0005_durable_inbox
PREVIOUS_HEAD = "0005_durable_inbox"
# Migrations whose upgrade removes or changes what an older release reads; docs/deploy.md says how to upgrade past them.
NOT_ADDITIVE = {"0005_durable_inbox", "0013_kb_table_names"}
DESTRUCTIVE_OPS = {"drop_table", "drop_column", "alter_column", "rename_table", "drop_constraint"}


def _previous_release(tmp_path: Path) -> Path:
    have = subprocess.run(
        ["git", "-C", str(ROOT), "cat-file", "-e", f"{PREVIOUS_RELEASE}^{{commit}}"], capture_output=True, check=False
    )
    if have.returncode != 0:
        pytest.skip(f"git history with {PREVIOUS_RELEASE} is not available here")
    old = tmp_path / "previous"
    old.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", PREVIOUS_RELEASE, "bot", "handlers", "knowledge"],
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
    return old


def _chat(port: int) -> str:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/chat",
        data='{"user_id": "u1", "text": "/帮助"}'.encode(),
        headers={"Authorization": "Bearer rolling", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.read().decode()


def _callback(port: int, n: int) -> int:
    event = feishu_peer.text_event("/帮助", f"om_roll_{n}", chat_type="p2p", event_id=f"ev_roll_{n}")
    headers, body = feishu_peer.signed_request(event)
    req = urllib.request.Request(f"http://127.0.0.1:{port}/callback/feishu", data=body, headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.status


async def test_previous_release_keeps_answering_while_new_migrations_apply(db_url, tmp_path, fake):  # noqa: F811
    import asyncio

    old = _previous_release(tmp_path)
    r = orgbot("db", "downgrade", PREVIOUS_HEAD, db_url=db_url)  # the database as the previous release left it
    assert r.returncode == 0, r.stderr
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ORGBOT_", "PYTHONPATH"))}
    env.update(
        {
            **feishu_peer.feishu_env(fake.url),
            "PYTHONPATH": str(old),
            "ORGBOT_DATABASE_URL": db_url,
            "ORGBOT_DATABASE_AUTO_MIGRATE": "false",
            "ORGBOT_API_TOKEN": "rolling",
            "ORGBOT_KNOWLEDGE_INDEX_DIR": str(tmp_path / "index-old"),
        }
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        await asyncio.to_thread(wait_ready, f"http://127.0.0.1:{port}/readyz", proc)
        assert "可以帮您" in _chat(port)
        answers: list[str] = []
        errors: list[BaseException] = []
        upgrading = threading.Event()

        def keep_asking() -> None:
            while not upgrading.is_set():
                try:
                    answers.append(_chat(port))
                except BaseException as exc:  # collected, asserted below
                    errors.append(exc)
                time.sleep(0.05)

        asker = threading.Thread(target=keep_asking)
        asker.start()
        assert await asyncio.to_thread(_callback, port, 1) == 200
        upgrade = await asyncio.to_thread(orgbot, "db", "upgrade", db_url=db_url)
        upgrading.set()
        await asyncio.to_thread(asker.join)
        assert upgrade.returncode == 0, upgrade.stderr
        assert migrate.head_revision() in upgrade.stdout
        assert not errors, errors[:3]
        assert answers and all("可以帮您" in a for a in answers)
        # After the upgrade the previous release still answers chats and callbacks.
        assert "可以帮您" in _chat(port)
        assert await asyncio.to_thread(_callback, port, 2) == 200
        await fake.wait_for(lambda: len(fake.sent("feishu", "/im/v1/messages")) >= 2, timeout=60)
        assert proc.poll() is None
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=60)
        (tmp_path / "previous.log").write_text(err)
    # The new release starts on the upgraded schema without migrating.
    new_port = free_port()
    r_env = {k: v for k, v in os.environ.items() if not k.startswith("ORGBOT_")}
    r_env.update(
        {
            "ORGBOT_DATABASE_URL": db_url,
            "ORGBOT_DATABASE_AUTO_MIGRATE": "false",
            "ORGBOT_API_TOKEN": "rolling",
            "ORGBOT_KNOWLEDGE_INDEX_DIR": str(tmp_path / "index-new"),
        }
    )
    new = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--port", str(new_port)],
        env=r_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        await asyncio.to_thread(wait_ready, f"http://127.0.0.1:{new_port}/readyz", new)
        assert "可以帮您" in _chat(new_port)
    finally:
        new.terminate()
        new.communicate(timeout=60)


def _destructive_calls(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    upgrade = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade")
    found = set()
    for node in ast.walk(upgrade):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in DESTRUCTIVE_OPS:
                found.add(node.func.attr)
            if node.func.attr == "execute" and node.args and isinstance(node.args[0], ast.Constant):
                sql = str(node.args[0].value).upper()
                found |= {word for word in ("DROP ", "ALTER ", "DELETE ", "UPDATE ") if word in sql}
    return found


def test_migrations_are_additive_or_documented():
    """An older instance keeps working on a newer schema only if migrations add; the exceptions are documented."""
    versions = sorted((ROOT / "bot" / "migrations" / "versions").glob("[0-9]*.py"))
    deploy = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    for path in versions:
        destructive = _destructive_calls(path)
        if path.stem in NOT_ADDITIVE:
            assert path.stem in deploy, f"{path.stem} is not additive: docs/deploy.md must say how to upgrade past it"
            continue
        assert not destructive, (
            f"{path.name} is not additive ({', '.join(sorted(destructive))}): a previous-release instance would break "
            "during a rolling upgrade. Make it additive, or add it to NOT_ADDITIVE and to docs/deploy.md"
        )


async def test_ready_on_a_schema_newer_than_this_release(make_bot):
    """During a rolling upgrade this release is the old one: a newer schema must not take it out of the balancer."""
    from sqlalchemy import text

    bot = await make_bot()
    async with bot.engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_a_newer_release'"))
    ok, detail = await bot.ready()
    assert ok and "newer than this release" in detail
    async with bot.engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '0004_scheduling'"))
    ok, detail = await bot.ready()
    assert not ok and detail == "migrations pending"
