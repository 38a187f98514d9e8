"""The app object: the one place that holds state, and the wiring of channels, router and services.

Message flow: a channel receives and verifies a request, builds an ``Incoming`` and
calls ``bot.handle``; ``dispatcher.dispatch`` dedupes, resolves the sender, routes
to a handler and returns replies, which the channel delivers. Scheduled work goes
through the persistent outbox and reaches people through ``bot.deliver``.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import dispatcher
from bot.channels.base import Channel, DeliveryError
from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.messages import Incoming, Outgoing, Reply
from bot.router import Router, import_submodules
from bot.storage import migrate
from bot.storage.db import create_engine, session_factory
from bot.storage.models import ConversationState, ProcessedMessage

log = logging.getLogger(__name__)

Hook = Callable[["OrgBot"], Awaitable[None]]


class MigrationsPending(RuntimeError):
    pass


class OrgBot:
    def __init__(
        self,
        config: Config,
        *,
        engine: AsyncEngine | None = None,
        clock: Clock | None = None,
        handler_package: str = "handlers",
    ) -> None:
        self.config = config
        self.engine = engine or create_engine(config.database.url, echo=config.database.echo)
        self.db: async_sessionmaker[AsyncSession] = session_factory(self.engine)
        self.clock: Clock = clock or SystemClock()
        modules = import_submodules(handler_package)
        from bot.router import collect_handlers

        self.router = Router(collect_handlers(modules))
        self._setup_hooks: list[Hook] = [m.setup for m in modules if callable(getattr(m, "setup", None))]
        self._teardown_hooks: list[Hook] = [m.teardown for m in modules if callable(getattr(m, "teardown", None))]
        self.services: dict[str, Any] = {}
        self.channels: dict[str, Channel] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._background: list[asyncio.Task[Any]] = []
        self.api_token = config.api.token or secrets.token_urlsafe(18)
        self.started = False
        self.background = False

    def add_channel(self, channel: Channel) -> None:
        self.channels[channel.name] = channel

    async def prepare_database(self) -> None:
        if await migrate.is_current(self.engine):
            return
        if not self.config.database.auto_migrate:
            current = await migrate.current_revision(self.engine)
            raise MigrationsPending(
                f"数据库结构版本为 {current or '空'}，需要 {migrate.head_revision()}。"
                "请先运行 `orgbot db upgrade`（或在配置中设 [database] auto_migrate = true）。"
            )
        log.info("applying database migrations")
        await migrate.upgrade(self.engine)

    async def start(self, *, with_channels: bool = True, background: bool = True) -> None:
        """Migrate, run handler set-up hooks, start channels; idempotent per instance."""
        if self.started:
            return
        await self.prepare_database()
        self.background = background
        for hook in self._setup_hooks:
            await hook(self)
        if with_channels:
            for channel in self.channels.values():
                await channel.start(self)
        if background:
            self._background.append(asyncio.create_task(self._housekeeping(), name="housekeeping"))
        self.started = True

    async def stop(self, timeout: float | None = None) -> None:
        """Finish in-flight messages, then stop channels, hooks and the engine."""
        timeout = self.config.server.shutdown_timeout if timeout is None else timeout
        if self._tasks:
            log.info("waiting for %d in-flight message(s)", len(self._tasks))
            await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        self._background.clear()
        for channel in self.channels.values():
            try:
                await channel.stop()
            except Exception:
                log.exception("channel %s failed to stop", channel.name)
        for hook in reversed(self._teardown_hooks):
            await hook(self)
        await self.engine.dispose()
        self.started = False

    async def handle(self, message: Incoming) -> list[Reply] | None:
        return await dispatcher.dispatch(self, message)

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str = "") -> asyncio.Task[Any]:
        """Run work after a callback was acknowledged; shutdown waits for it."""
        task = asyncio.create_task(coro, name=name or None)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background work failed", exc_info=task.exception())

    async def deliver(self, message: Outgoing, *, within: AsyncSession | None = None) -> None:
        """Send through the target's channel. ``within``: a transaction a channel that stores pushes
        in our own database (``transactional``) writes them in, so they commit with the caller's work."""
        channel = self.channels.get(message.target.channel)
        if channel is None:
            raise DeliveryError(f"channel {message.target.channel!r} is not configured", permanent=True)
        send_within = getattr(channel, "send_within", None)
        if within is not None and send_within is not None:
            await send_within(within, message)
            return
        await channel.send(message)

    def transactional(self, channel: str) -> bool:
        """Whether ``channel`` can deliver inside a database transaction (see :meth:`deliver`)."""
        return getattr(self.channels.get(channel), "send_within", None) is not None

    def add_background(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        self._background.append(asyncio.create_task(coro, name=name))

    async def _housekeeping(self) -> None:
        while True:
            try:
                now = self.clock.now()
                async with self.db() as session, session.begin():
                    cutoff = now - timedelta(hours=self.config.bot.dedupe_hours)
                    await session.execute(delete(ProcessedMessage).where(ProcessedMessage.received_at < cutoff))
                    await session.execute(delete(ConversationState).where(ConversationState.expires_at < now))
            except Exception:
                log.exception("housekeeping failed")
            await asyncio.sleep(3600)

    async def ready(self) -> tuple[bool, str]:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:
            return False, f"database unreachable: {type(exc).__name__}"
        if not await migrate.is_current(self.engine):
            return False, "migrations pending"
        return True, "ok"

    def web_app(self) -> web.Application:
        from bot.web import build_web_app

        return build_web_app(self)
