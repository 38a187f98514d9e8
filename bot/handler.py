"""What a handler is: a plain async function plus a short declaration of what it answers.

Handlers live in ``handlers/``; the engine finds them by the declaration this
decorator attaches, so adding a feature never means touching the engine.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit_record import audit_entry
from bot.messages import Incoming, Reply
from bot.roles import Role
from bot.storage.db import conflict_insert
from bot.storage.models import AuditEntry, ConversationState

if TYPE_CHECKING:
    from bot.access import Access
    from bot.actor import Actor
    from bot.app import OrgBot
    from bot.config import Config
    from bot.kb_service import KnowledgeService
    from bot.scheduling.service import SchedulingService

HandlerResult = str | Reply | Iterable[str | Reply] | None
HandlerFunc = Callable[["Context"], Awaitable[HandlerResult]]

SPEC_ATTR = "__orgbot_handler__"

# Optional keys in ``ctx.expect`` data: a guided dialogue's human name (“新建提醒”) and how to start it
# again (“/提醒 新建”). When another command interrupts the dialogue, the person is told it ended.
DIALOGUE_LABEL = "_dialogue"
DIALOGUE_RESTART = "_restart"
EXPECT_TTL = timedelta(minutes=10)


@dataclass(frozen=True)
class HandlerSpec:
    """The declaration: which command words and phrasings reach the function, and who may use it."""

    name: str
    commands: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    role: Role = Role.GUEST
    help: str = ""
    usage: str = ""
    fallback: bool = False
    priority: int = 0
    category: str = ""
    # A declared dialogue: a step keeps its state until the handler ends it (ctx.clear), replaces
    # it (ctx.expect) or the person interrupts it with a command; no path has to re-arm it.
    keeps_dialogue: bool = False
    # Asked when a phrasing matched: False lets the router look further (the next phrasing, then
    # the fallback), as if this one had not matched — a bare “1” is a receipt only when one is open.
    applies: Callable[[Context], Awaitable[bool]] | None = None


def handler(
    *,
    commands: Iterable[str] = (),
    patterns: Iterable[str] = (),
    role: Role = Role.GUEST,
    help: str = "",
    usage: str = "",
    fallback: bool = False,
    priority: int = 0,
    category: str = "",
    name: str | None = None,
    keeps_dialogue: bool = False,
    applies: Callable[[Context], Awaitable[bool]] | None = None,
) -> Callable[[HandlerFunc], HandlerFunc]:
    """Declare a handler. ``patterns`` are regular expressions searched in the free text."""

    def wrap(func: HandlerFunc) -> HandlerFunc:
        spec = HandlerSpec(
            name=name or f"{func.__module__}.{func.__qualname__}",
            commands=tuple(c.lstrip("/／") for c in commands),
            patterns=tuple(re.compile(p) for p in patterns),
            role=role,
            help=help,
            usage=usage,
            fallback=fallback,
            priority=priority,
            category=category,
            keeps_dialogue=keeps_dialogue,
            applies=applies,
        )
        setattr(func, SPEC_ATTR, spec)
        return func

    return wrap


def spec_of(func: Any) -> HandlerSpec | None:
    return getattr(func, SPEC_ATTR, None)


@dataclass(frozen=True)
class User:
    """The sender as the bot knows them; unknown senders are guests."""

    user_id: str
    name: str
    role: Role
    staff_id: int | None = None
    unit_scope: str | None = None
    cadre_id: str | None = None

    @property
    def is_known(self) -> bool:
        return self.staff_id is not None


@dataclass(frozen=True)
class NextState:
    handler: str
    data: dict[str, Any]
    ttl: timedelta


@dataclass
class Context:
    """Everything a handler may use: the message, the sender, the bot's services."""

    message: Incoming
    user: User
    bot: OrgBot
    spec: HandlerSpec
    command: str | None = None
    args: str = ""
    match: re.Match[str] | None = None
    pending: dict[str, Any] | None = None
    # The sender's role and unit scope, worked out once when they were identified.
    access: Access | None = None
    # What the dialogue state becomes after this turn; the dispatcher writes it once, after the handler.
    next_state: NextState | None = field(default=None, repr=False)
    cleared: bool = field(default=False, repr=False)
    state_written: bool = field(default=False, repr=False)  # by expect_in, in the handler's own transaction

    @property
    def text(self) -> str:
        return self.message.text

    @property
    def config(self) -> Config:
        return self.bot.config

    @property
    def kb(self) -> KnowledgeService:
        return self.bot.kb

    @property
    def scheduling(self) -> SchedulingService:
        return self.bot.scheduling

    def session(self) -> AsyncSession:
        """A new database session (use as ``async with ctx.session() as s``); one at a time."""
        return self.bot.db()

    async def actor(self) -> Actor:
        """The sender as every feature service takes them: role and unit scope (worked out once per
        message by the dispatcher, or here when a handler runs outside it) and where they wrote from."""
        from bot.access import access_for
        from bot.actor import Actor

        if self.access is None:
            async with self.session() as session:
                self.access = await access_for(session, self.user)
        return Actor(self.access, self.message.channel, self.message.chat_id)

    async def expect(self, data: dict[str, Any], ttl: timedelta = EXPECT_TTL) -> None:
        """Route this person's next non-command message in this chat back to this handler."""
        self.next_state = NextState(self.spec.name, data, ttl)
        self.cleared = False
        self.state_written = False

    async def expect_in(self, session: AsyncSession, data: dict[str, Any], ttl: timedelta = EXPECT_TTL) -> None:
        """``expect`` inside the caller's transaction (with the audit row it belongs to)."""
        await write_state(session, self.message, self.user.user_id, self.spec.name, data, self.bot.clock.now() + ttl)
        self.next_state = None
        self.state_written = True

    async def clear(self) -> None:
        self.next_state = None
        self.cleared = True
        self.state_written = False

    async def audit(
        self, action: str, outcome: str, *, query: str = "", subject: str | None = None, detail: str = ""
    ) -> None:
        self.bot.metrics.audited(action, outcome)
        async with self.bot.db() as session, session.begin():
            session.add(self.audit_row(action, outcome, query=query, subject=subject, detail=detail))

    def audit_row(
        self, action: str, outcome: str, *, query: str = "", subject: str | None = None, detail: str = ""
    ) -> AuditEntry:
        """The audit row for this person and message, for a handler that writes it in its own transaction."""
        return audit_entry(
            at=self.bot.clock.now(),
            actor=self.user.user_id,
            actor_role=self.user.role.name.lower(),
            channel=self.message.channel,
            chat_id=self.message.chat_id,
            action=action,
            outcome=outcome,
            query=query,
            subject=subject,
            detail=detail,
        )


def _state_key(message: Incoming, user_id: str) -> dict[str, str]:
    return {"channel": message.channel, "chat_id": message.chat_id, "user_id": user_id}


async def save_state(
    bot: OrgBot, message: Incoming, user_id: str, handler_name: str, data: dict[str, Any], ttl: timedelta
) -> None:
    async with bot.db() as session, session.begin():
        await write_state(session, message, user_id, handler_name, data, bot.clock.now() + ttl)


async def write_state(
    session: AsyncSession,
    message: Incoming,
    user_id: str,
    handler_name: str,
    data: dict[str, Any],
    expires_at: datetime,
) -> None:
    """``save_state`` inside the caller's transaction, so a handler's writes land together."""
    values = {
        **_state_key(message, user_id),
        "handler": handler_name,
        "data": json.dumps(data, ensure_ascii=False, default=str),
        "expires_at": expires_at,
    }
    stmt = conflict_insert(session.get_bind().dialect.name)(ConversationState).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["channel", "chat_id", "user_id"],
        set_={k: values[k] for k in ("handler", "data", "expires_at")},
    )
    await session.execute(stmt)


async def flush_state(bot: OrgBot, message: Incoming, user_id: str, state: NextState | None, *, drop: bool) -> None:
    """The turn's one write of dialogue state: the next step if there is one, else drop the old one."""
    if state is not None:
        await save_state(bot, message, user_id, state.handler, state.data, state.ttl)
    elif drop:
        await clear_state(bot, message, user_id)


async def read_state(
    session: AsyncSession, message: Incoming, user_id: str, now: datetime
) -> tuple[str, dict[str, Any]] | None:
    row = await session.get(ConversationState, (message.channel, message.chat_id, user_id))
    if row is None or row.expires_at <= now:
        return None
    return row.handler, json.loads(row.data)


async def clear_state(bot: OrgBot, message: Incoming, user_id: str) -> None:
    async with bot.db() as session, session.begin():
        await session.execute(delete(ConversationState).filter_by(**_state_key(message, user_id)))
