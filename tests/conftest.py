"""Shared fixtures: a fresh, migrated database per test on SQLite and, when configured, PostgreSQL.

PostgreSQL runs are isolated by giving each test its own database, cloned from a
template migrated once per session, so parallel runs on one server never collide.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from bot.app import OrgBot
from bot.channels.local import LocalChannel
from bot.clock import Clock
from bot.config import Config, load_config
from bot.messages import ChatType, Incoming, Reply
from bot.storage import migrate
from bot.storage.db import create_engine, normalize_url

PG_URL = os.environ.get("ORGBOT_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]


async def _pg_admin(sql: str) -> None:
    import asyncpg

    url = make_url(normalize_url(PG_URL))
    conn = await asyncpg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        database=url.database or "postgres",
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _pg_url_for(dbname: str) -> str:
    return make_url(normalize_url(PG_URL)).set(database=dbname).render_as_string(hide_password=False)


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def template_databases(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One migrated template per backend per session; tests get cheap copies."""
    made: dict[str, str] = {}
    sqlite_path = tmp_path_factory.mktemp("tpl") / "template.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{sqlite_path}"))
    made["sqlite"] = str(sqlite_path)
    tpl_name = f"orgbot_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    if PG_URL:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{tpl_name}"'))
        asyncio.run(_migrate(_pg_url_for(tpl_name)))
        made["postgresql"] = tpl_name
    yield made
    if PG_URL:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{tpl_name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
async def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, template_databases: dict[str, str]
) -> AsyncIterator[str]:
    """URL of a fresh, fully migrated database of the parametrized backend."""
    if request.param == "sqlite":
        path = tmp_path / "orgbot.db"
        shutil.copyfile(template_databases["sqlite"], path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    name = f"orgbot_t_{uuid.uuid4().hex[:12]}"
    await _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template_databases["postgresql"]}"')
    try:
        yield _pg_url_for(name)
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def config_for(tmp_path: Path) -> Callable[..., Config]:
    def make(url: str, **env: str) -> Config:
        environ = {
            "ORGBOT_DATABASE_URL": url,
            "ORGBOT_API_TOKEN": "test-token",
            "ORGBOT_KNOWLEDGE_INDEX_DIR": str(tmp_path / "index"),
            # Small pools: PostgreSQL's 100 connections are shared by every bot a test run starts.
            "ORGBOT_DATABASE_POOL_SIZE": "3",
            "ORGBOT_DATABASE_MAX_OVERFLOW": "7",
        }
        environ.update(env)
        return load_config(None, environ=environ)

    return make


@pytest.fixture
async def make_bot(db_url: str, config_for: Callable[..., Config]) -> AsyncIterator[Callable[..., Awaitable[OrgBot]]]:
    """Start bots on the test database; every one is stopped at the end of the test."""
    bots: list[OrgBot] = []

    async def make(
        clock: Clock | None = None, channels: list[Any] | None = None, answering: bool = True, **env: str
    ) -> OrgBot:
        bot = OrgBot(config_for(db_url, **env), clock=clock)
        bot.add_channel(LocalChannel())
        for ch in channels or []:
            bot.add_channel(ch)
        await bot.start(background=False, answering=answering)
        bots.append(bot)
        return bot

    yield make
    for bot in bots:
        await bot.stop(timeout=2)


@pytest.fixture
async def bot(make_bot: Callable[..., Awaitable[OrgBot]]) -> OrgBot:
    return await make_bot()


async def say(
    bot: OrgBot, user: str, text: str, *, group: bool = False, chat: str | None = None, channel: str = "terminal"
) -> str:
    """Send one line as ``user`` and return the bot's replies joined, like a chat transcript."""
    replies = await say_replies(bot, user, text, group=group, chat=chat, channel=channel)
    return "\n".join(r.text for r in replies)


async def say_replies(
    bot: OrgBot, user: str, text: str, *, group: bool = False, chat: str | None = None, channel: str = "terminal"
) -> list[Reply]:
    message = Incoming(
        channel=channel,
        chat_id=chat or ("group-1" if group else f"dm:{user}"),
        chat_type=ChatType.GROUP if group else ChatType.PRIVATE,
        sender_id=user,
        text=text,
        mentioned_bot=True,
    )
    return await bot.handle(message) or []


async def add_staff(
    bot: OrgBot,
    user_id: str,
    name: str,
    role: str = "staff",
    unit: str | None = None,
    cadre: str | None = None,
    im: tuple[tuple[str, str], ...] = (),
) -> None:
    from bot.roles import Role
    from bot.staff import StaffInput, upsert_staff

    async with bot.db() as session, session.begin():
        await upsert_staff(session, StaffInput(user_id, name, Role.parse(role), unit, cadre, im, unit=unit))
