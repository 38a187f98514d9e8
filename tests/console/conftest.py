"""Console tests: a real aiohttp server on 127.0.0.1 with the demo people, logged in by one-time link."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import CookieJar
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app import OrgBot
from bot.auth.logins import Actor, LoginService
from bot.cadres.demo import seed_demo
from bot.clock import ManualClock
from bot.storage.models import AuditEntry
from tests.security.conftest import NOW

CLI = Actor("cli:test", "cli", "cli")
CSRF_RE = re.compile(r'name="csrf-token" content="([0-9a-f]+)"')


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


class Console:
    """A browser-like client of one person's console session."""

    def __init__(self, bot: OrgBot, client: TestClient[Any, Any]) -> None:
        self.bot = bot
        self.client = client
        self.csrf = ""

    async def log_in(self, user_id: str) -> None:
        link = await LoginService(self.bot).issue_link(user_id, CLI, "/admin/")
        token = link.url.split("?t=", 1)[1].split("&", 1)[0]
        page = await self.client.get("/login", params={"t": token, "next": "/admin/"})
        assert page.status == 200, await page.text()
        resp = await self.client.post("/login", data={"t": token, "next": "/admin/"}, allow_redirects=False)
        assert resp.status == 303 and resp.headers["Location"] == "/admin/"
        found = CSRF_RE.search(await (await self.client.get("/admin/")).text())
        self.csrf = found.group(1) if found else ""

    async def page(self, path: str, status: int = 200, **params: str) -> str:
        resp = await self.client.get(path, params=params)
        text = await resp.text()
        assert resp.status == status, f"{path}: {resp.status} {text[:500]}"
        found = CSRF_RE.search(text)
        if found:
            self.csrf = found.group(1)
        return text

    async def post(self, path: str, data: Any = None, *, csrf: str | None = "", **kw: Any) -> Any:
        """POST a form with this session's CSRF token (``csrf=None``: none at all)."""
        form: list[tuple[str, str]] = []
        for key, value in dict(data or {}).items():
            form.extend((key, v) for v in (value if isinstance(value, list) else [value]))
        if csrf is not None:
            form.append(("csrf", csrf or self.csrf))
        return await self.client.post(path, data=form, allow_redirects=False, **kw)


@pytest.fixture
async def console(
    make_bot: Callable[..., Awaitable[OrgBot]], clock: ManualClock
) -> AsyncIterator[Callable[..., Awaitable[Console]]]:
    """``await console("demo_admin")``: a running bot with the demo data and a logged-in console client."""
    clients: list[TestClient[Any, Any]] = []
    bots: dict[str, OrgBot] = {}

    async def start(user_id: str | None = "demo_admin", **env: str) -> Console:
        bot = bots.get("bot")
        if bot is None:
            bot = await make_bot(clock=clock, **env)
            await seed_demo(bot)
            bots["bot"] = bot
        client = TestClient(TestServer(bot.web_app(), host="127.0.0.1"), cookie_jar=CookieJar(unsafe=True))
        await client.start_server()
        clients.append(client)
        c = Console(bot, client)
        if user_id:
            await c.log_in(user_id)
        return c

    yield start
    for client in clients:
        await client.close()


async def audit_rows(bot: OrgBot, **where: str) -> list[AuditEntry]:
    async with bot.db() as session:
        stmt = select(AuditEntry).order_by(AuditEntry.id)
        for key, value in where.items():
            stmt = stmt.where(getattr(AuditEntry, key) == value)
        return list(await session.scalars(stmt))
