"""The app object: the one place that holds state, and the wiring of channels, router and services.

Message flow: a channel receives and verifies a request and builds an ``Incoming``.
A platform message is recorded in the durable inbox before it is acknowledged
(``bot.accept``); the answer workers (``bot/answering.py``) take it from there, run the
dispatcher's chain (``bot/dispatcher.py``) and deliver the replies through ``bot.deliver``.
The terminal and the HTTP API wait for their answer instead (``bot.handle``).
Scheduled work goes through the persistent outbox and reaches people through ``bot.deliver``.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import delete, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import dispatcher
from bot.answering import AnswerWorkers
from bot.audit_record import storable
from bot.cadres.lookup_quota import PersonTurns
from bot.cancellation import raise_if_cancelling
from bot.channels import signature_ledger
from bot.channels.base import Channel, DeliveryError
from bot.chat_topics import store as chat_topics
from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.inbox import Inbox, State
from bot.kb_service import KnowledgeService
from bot.messages import Incoming, Outgoing, Reply
from bot.metrics import Metrics
from bot.router import Router, import_submodules
from bot.scheduling.service import SchedulingService
from bot.storable_text import UNUSABLE_KEY, ids_unstorable, incoming_problem
from bot.storage import migrate
from bot.storage.db import create_engine, session_factory
from bot.storage.models import ConversationState
from bot.throttle import SenderThrottle

log = logging.getLogger(__name__)

Hook = Callable[["OrgBot"], Awaitable[None]]
# Answer workers that have not looked at the inbox for this long are reported stuck by /readyz.
STUCK_SECONDS = 60.0


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
        self.engine = engine or create_engine(
            config.database.url,
            echo=config.database.echo,
            pool_size=config.database.pool_size,
            max_overflow=config.database.max_overflow,
        )
        self.db: async_sessionmaker[AsyncSession] = session_factory(self.engine)
        self.clock: Clock = clock or SystemClock()
        modules = import_submodules(handler_package)
        from bot.router import collect_handlers

        self.router = Router(collect_handlers(modules))
        self._setup_hooks: list[Hook] = [m.setup for m in modules if callable(getattr(m, "setup", None))]
        self._teardown_hooks: list[Hook] = [m.teardown for m in modules if callable(getattr(m, "teardown", None))]
        self.channels: dict[str, Channel] = {}
        # The engine's services: handlers reach them as typed attributes of the context.
        self.kb = KnowledgeService(self)
        self.scheduling = SchedulingService(self)
        self.lookup_turns = PersonTurns()  # one cadre lookup per person at a time in this process
        self.inbox = Inbox(self.db, timedelta(seconds=config.bot.answer_lease_seconds))
        self.answer_workers = AnswerWorkers(
            self, self.inbox, workers=config.bot.answer_workers, per_channel=config.bot.answers_per_channel
        )
        self.sender_throttle = SenderThrottle(config.bot.messages_per_minute)
        self.metrics = Metrics()
        self._background: list[asyncio.Task[Any]] = []
        self.api_token = config.api.token or secrets.token_urlsafe(18)
        self.started = False
        self.background = False
        self.answering = False

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

    async def start(
        self, *, with_channels: bool = True, background: bool = True, answering: bool | None = None
    ) -> None:
        """Migrate, run handler set-up hooks, start channels and the workers; idempotent per instance.

        ``answering`` (default: ``background``) starts the answer workers, which also resume
        messages a previous run acknowledged but did not answer. CLI commands leave it off.
        """
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
            # SQLite serves one running instance: a second `orgbot run` on the file is refused here.
            self.scheduling.claim_single_instance()
            self._background.append(asyncio.create_task(self._housekeeping(), name="housekeeping"))
            if self.config.scheduler.enabled:
                self._background.append(asyncio.create_task(self.scheduling.run(), name="scheduler"))
        if background if answering is None else answering:
            await self._resume_inbox()
            self.answer_workers.start()
            self.answering = True
        self.started = True

    async def _resume_inbox(self) -> None:
        """Messages a previous run acknowledged are answered now; those too old are reported instead."""
        now = self.clock.now()
        if self.scheduling.single is not None:
            # The one instance on this SQLite file: whatever is still 'answering' was left by a process that is gone.
            released = await self.inbox.release_all(now)
            if released:
                log.warning("resuming %d message(s) a previous run had started to answer", released)
        await self._expire_stale(now)
        waiting = sum((await self.inbox.counts()).values())
        if waiting:
            log.info("%d acknowledged message(s) from before the start are answered now", waiting)

    async def _expire_stale(self, now: Any) -> None:
        cutoff = now - timedelta(minutes=self.config.bot.answer_max_age_minutes)
        expired = await self.inbox.expire_older_than(cutoff, now)
        if expired:
            log.warning("%d acknowledged message(s) too old to answer; reporting them to the admins", len(expired))
            await self.scheduling.report_unanswered(expired, now)

    async def stop(self, timeout: float | None = None) -> None:
        """Drain the answer workers within the timeout, then stop background work, channels, hooks, engine."""
        timeout = self.config.server.shutdown_timeout if timeout is None else timeout
        if self.answering:
            await self.answer_workers.stop(timeout)
            self.answering = False
        for task in self._background:
            task.cancel()
        if self._background:
            # The scheduler may itself take `timeout` to end a round in progress.
            _, stuck = await asyncio.wait(self._background, timeout=timeout + 5.0)
            for task in stuck:
                log.error("background task %s did not stop when cancelled; shutting down without it", task.get_name())
        self._background.clear()
        for channel in self.channels.values():
            try:
                await channel.stop()
            except Exception:
                log.exception("channel %s failed to stop", channel.name)
        for hook in reversed(self._teardown_hooks):
            await hook(self)
        await self.scheduling.close()
        await self.engine.dispose()
        self.started = False

    async def accept(self, message: Incoming) -> bool:
        """Record a platform message before it is acknowledged; False for a retry already recorded.

        Raises ``InboxUnavailable`` when the database cannot take it: the callback then answers
        5xx so the platform retries, instead of a 200 that would lose the message.
        """
        problem = incoming_problem(message)
        if problem is not None:
            # Channels refuse these with a 400 before acknowledging; a long connection cannot.
            if ids_unstorable(message):
                log.warning("%s message dropped, its ids cannot be stored: %s", message.channel, problem)
                return False
            message = replace(
                message,
                text=storable(message.text, 4000),
                sender_name=storable(message.sender_name, 64),
                raw={**(message.raw or {}), UNUSABLE_KEY: problem},
            )
        wanted = dispatcher.for_the_bot(self, message)
        new = await self.inbox.record(message, self.clock.now(), state=State.RECEIVED if wanted else State.SKIPPED)
        if new and wanted:
            self.metrics.message_received(message.channel)
            self.answer_workers.wake()
        return new

    async def handle(self, message: Incoming) -> list[Reply] | None:
        """Answer a message whose sender waits for the answer (terminal, HTTP API); None: not for the bot."""
        if not dispatcher.for_the_bot(self, message):
            return None
        self.metrics.message_received(message.channel)
        started = asyncio.get_running_loop().time()
        replies = await dispatcher.run(self, message)
        self.metrics.message_answered(message.channel, asyncio.get_running_loop().time() - started)
        return replies

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

    async def _housekeeping(self) -> None:
        while True:
            try:
                now = self.clock.now()
                await self.inbox.forget_finished(now - timedelta(hours=self.config.bot.dedupe_hours))
                await self._expire_stale(now)
                async with self.db() as session, session.begin():
                    await session.execute(delete(ConversationState).where(ConversationState.expires_at < now))
                    await chat_topics.forget_expired(session, now)
                    await signature_ledger.purge_expired(session, now)
            except Exception as exc:
                raise_if_cancelling(exc)
                log.exception("housekeeping failed")
            await asyncio.sleep(600)

    async def ready(self) -> tuple[bool, str]:
        """Ready means: the database answers and takes writes, the schema is current, the workers move."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:
            return False, f"database unreachable: {type(exc).__name__}"
        newer = ""
        try:
            revision = await migrate.current_revision(self.engine)
            if revision != migrate.head_revision():
                if not migrate.is_newer_than_this_release(revision):
                    return False, "migrations pending"
                newer = f"; schema {revision} is newer than this release (restart with the new release)"
        except Exception as exc:
            return False, f"schema unreadable: {type(exc).__name__}"
        try:
            await self._probe_write()
        except Exception as exc:
            return False, f"database not writable: {type(exc).__name__}: {str(exc)[:120]}"
        loop = asyncio.get_running_loop()
        if self.answering and loop.time() - self.answer_workers.last_progress > STUCK_SECONDS:
            return False, "answer workers stuck"
        outbox_stuck = self.scheduling.stuck_for(loop.time()) if self.background else None
        if outbox_stuck is not None and outbox_stuck > STUCK_SECONDS:
            return False, f"scheduler/outbox stuck for {outbox_stuck:.0f} s"
        lead = "leads the scheduler" if self.scheduling.is_leader else "standby (does not lead the scheduler)"
        return True, f"ok; {lead}{newer}"

    async def _probe_write(self) -> None:
        """A write that is rolled back: a read-only file or a read-only replica fails here."""
        async with self.engine.connect() as conn:
            trans = await conn.begin()
            try:
                await conn.execute(
                    insert(ConversationState).values(
                        channel="readyz",
                        chat_id="probe",
                        user_id="probe",
                        handler="",
                        data="{}",
                        expires_at=self.clock.now(),
                    )
                )
            finally:
                await trans.rollback()

    def web_app(self) -> web.Application:
        from bot.web import build_web_app

        return build_web_app(self)
