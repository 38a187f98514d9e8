"""Attack: empty or rewrite the audit trail from the database side.

The app never edits ``audit_log``; the database must refuse it too, whoever asks:
TRUNCATE meets a statement trigger (PostgreSQL), UPDATE and DELETE the row triggers, and
the service role of ``orgbot db roles`` lacks the privileges in the first place, while
its normal work (lookups that audit, outbox writes) still succeeds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from bot.app import OrgBot
from bot.cadres.demo import seed_demo
from bot.channels.local import LocalChannel, fetch_inbox
from bot.messages import Target
from bot.scheduling.outbox import PushItem, enqueue
from bot.storage import migrate
from bot.storage.db import create_engine
from bot.storage.db_roles import RoleNames, render, roles_sql
from bot.storage.models import AuditEntry
from tests.conftest import PG_URL, _pg_admin, _pg_url_for, say

pg_only = pytest.mark.skipif(not PG_URL, reason="set ORGBOT_TEST_DATABASE_URL to run the PostgreSQL role tests")

ATTACKS_PG = [
    "TRUNCATE audit_log",
    "TRUNCATE TABLE audit_log RESTART IDENTITY",
    "TRUNCATE ONLY audit_log CASCADE",
    "TRUNCATE conversation_state, audit_log",
    "DELETE FROM audit_log",
    "UPDATE audit_log SET outcome = 'allowed'",
]
ATTACKS_SQLITE = ["DELETE FROM audit_log", "DELETE FROM audit_log WHERE 1", "UPDATE audit_log SET outcome = 'allowed'"]


async def _audit_count(bot: OrgBot) -> int:
    async with bot.db() as session:
        return await session.scalar(select(func.count()).select_from(AuditEntry)) or 0


async def test_the_database_owner_cannot_empty_or_edit_the_audit_log(make_bot, db_url):
    bot = await make_bot()
    await seed_demo(bot)
    await say(bot, "demo_admin", "/干部 A1002")
    await say(bot, "demo_staff", "/培训 A1003")
    before = await _audit_count(bot)
    assert before >= 2
    attacks = ATTACKS_PG if bot.engine.dialect.name == "postgresql" else ATTACKS_SQLITE
    for attack in attacks:
        with pytest.raises(DBAPIError, match="append-only"):
            async with bot.engine.begin() as conn:
                await conn.execute(text(attack))
    assert await _audit_count(bot) == before
    async with bot.db() as session:
        outcomes = sorted(await session.scalars(select(AuditEntry.outcome)))
    assert outcomes.count("allowed") == 1 and "denied" in outcomes


def test_orgbot_db_roles_prints_the_procedure_with_placeholders():
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORGBOT_")} | {"PYTHONPATH": os.getcwd()}
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "db", "roles", "--owner", "o1", "--service", "s1", "--database", "d1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    names = RoleNames("o1", "s1", "d1")
    assert out.stdout == render(names)
    sql = roles_sql(names)
    for part in (sql.cluster, sql.database, sql.grants):
        assert part in out.stdout
    assert "CHANGE_ME_OWNER_PASSWORD" in out.stdout and "CHANGE_ME_SERVICE_PASSWORD" in out.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "bot.cli", "db", "roles", "--service", "x; DROP TABLE audit_log"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert bad.returncode == 2 and "不可用" in bad.stderr and "DROP" not in bad.stdout


@dataclass(frozen=True)
class Cluster:
    names: RoleNames
    owner_url: str
    service_url: str


def _url_as(role: str, password: str, database: str) -> str:
    url = _pg_url_for(database)
    from sqlalchemy.engine import make_url

    return make_url(url).set(username=role, password=password).render_as_string(hide_password=False)


async def _run_as(url: str, sql: str) -> None:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    conn = await asyncpg.connect(
        host=u.host, port=u.port or 5432, user=u.username, password=u.password, database=u.database
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
async def least_privilege() -> AsyncIterator[Cluster]:
    """A fresh database set up exactly as ``orgbot db roles`` says, with uniquely named roles."""
    tag = uuid.uuid4().hex[:8]
    names = RoleNames(owner=f"orgbot_own_{tag}", service=f"orgbot_svc_{tag}", database=f"orgbot_roles_{tag}")
    owner_pw, service_pw = f"o-{uuid.uuid4().hex}", f"s-{uuid.uuid4().hex}"
    sql = roles_sql(names, owner_pw, service_pw)
    try:
        for statement in sql.cluster.strip().splitlines():  # CREATE DATABASE cannot run inside a block
            await _pg_admin(statement)
        await _run_as(_pg_url_for(names.database), sql.database)
        owner_url = _url_as(names.owner, owner_pw, names.database)
        engine = create_engine(owner_url)
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()
        await _run_as(owner_url, sql.grants)
        await _run_as(owner_url, sql.grants)  # the doc says: run again after each upgrade
        yield Cluster(names, owner_url, _url_as(names.service, service_pw, names.database))
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{names.database}" WITH (FORCE)')
        await _pg_admin(f"DROP ROLE IF EXISTS {names.service}")
        await _pg_admin(f"DROP ROLE IF EXISTS {names.owner}")


REFUSED_TO_SERVICE = [
    "TRUNCATE audit_log",
    "UPDATE audit_log SET outcome = 'allowed'",
    "DELETE FROM audit_log",
    "TRUNCATE staff",
    "TRUNCATE outbox",
    "CREATE TABLE stash (x text)",
    "DROP TABLE audit_log",
    "DROP TABLE staff",
    "ALTER TABLE audit_log DISABLE TRIGGER ALL",
    "DROP TRIGGER audit_log_no_truncate ON audit_log",
    "UPDATE alembic_version SET version_num = 'x'",
    "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
]


@pg_only
async def test_the_service_role_works_but_cannot_erase_or_change_the_schema(least_privilege, config_for):
    config = config_for(least_privilege.service_url, ORGBOT_DATABASE_AUTO_MIGRATE="false")
    bot = OrgBot(config)
    bot.add_channel(LocalChannel())
    await bot.start(background=False)
    try:
        await seed_demo(bot)
        assert "000000199009030022" in await say(bot, "demo_admin", "/干部 A1002")
        assert "没有找到您有权查看" in await say(bot, "demo_staff", "/培训 A1003")
        assert "出错了" not in await say(bot, "demo_staff", "入党积极分子要培养多久")
        assert "出错了" not in await say(bot, "demo_staff", "食堂几点开饭")
        async with bot.engine.connect() as conn:
            assert await conn.scalar(text("SELECT count(*) FROM kb_unanswered_questions")) >= 1  # logged for review
        now = bot.clock.now()
        async with bot.db() as session, session.begin():
            added = await enqueue(
                session,
                # urgent: the test must not depend on the wall clock being outside quiet hours
                [
                    PushItem(
                        "roles-test-1", Target("local", user_id="demo_staff"), "请于周五前报送材料", now, urgent=True
                    )
                ],
                now,
            )
        assert added == 1
        sent = await bot.scheduling.sender.drain()
        assert sent == 1
        assert [m.text for m in await fetch_inbox(bot, "demo_staff")] == ["请于周五前报送材料"]
        async with bot.db() as session:
            rows = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        assert [(r.actor, r.outcome) for r in rows if r.action.startswith("cadre.")] == [
            ("demo_admin", "allowed"),
            ("demo_staff", "denied"),
        ]
        for attack in REFUSED_TO_SERVICE:
            with pytest.raises(DBAPIError, match=r"permission denied|must be owner"):
                async with bot.engine.begin() as conn:
                    await conn.execute(text(attack))
        assert len(rows) == await _audit_count(bot)
    finally:
        await bot.stop(timeout=2)

    owner = create_engine(least_privilege.owner_url)
    try:
        for attack in ("TRUNCATE audit_log", "DELETE FROM audit_log", "UPDATE audit_log SET detail = ''"):
            with pytest.raises(DBAPIError, match="append-only"):
                async with owner.begin() as conn:
                    await conn.execute(text(attack))
        async with owner.connect() as conn:
            assert await conn.scalar(text("SELECT count(*) FROM audit_log")) == len(rows)
    finally:
        await owner.dispose()
