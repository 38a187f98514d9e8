"""The local channel: the terminal, the HTTP API and the web page.

Replies go straight back to the caller; pushes (from the outbox) wait in an inbox
table until the person's terminal or web page fetches them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Outgoing
from bot.storage.models import LocalInboxMessage

if TYPE_CHECKING:
    from bot.app import OrgBot


class LocalChannel:
    name = "local"

    def __init__(self) -> None:
        self.bot: OrgBot | None = None
        self.push_per_second = 200.0

    def routes(self) -> list[web.RouteDef]:
        return []

    async def start(self, bot: OrgBot) -> None:
        self.bot = bot
        self.push_per_second = bot.config.outbox.local_per_second

    async def stop(self) -> None:
        return None

    async def send(self, message: Outgoing) -> None:
        assert self.bot is not None, "channel not started"
        async with self.bot.db() as session, session.begin():
            await self.send_within(session, message)

    async def send_within(self, session: AsyncSession, message: Outgoing) -> None:
        """Write the push in the caller's transaction (it commits or rolls back with it): the outbox
        commits the inbox row and its "sent" mark together, so a push lands exactly once."""
        assert self.bot is not None, "channel not started"
        session.add(
            LocalInboxMessage(
                user_id=message.target.user_id or message.target.chat_id,
                chat_id=message.target.chat_id,
                text=message.reply.text,
                format=message.reply.format.value,
                created_at=self.bot.clock.now(),
            )
        )


@dataclass(frozen=True)
class InboxPush:
    id: int
    text: str
    format: str
    created_at: datetime


async def fetch_inbox(bot: OrgBot, user_id: str, limit: int = 50) -> list[InboxPush]:
    """Hand over a person's waiting pushes exactly once, also to concurrent pollers.

    One UPDATE … RETURNING claims the rows: on SQLite the statement opens the write
    transaction (writers are serialized), on PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets
    a second poller pass over rows another poller is taking instead of taking them too.
    """
    pick = (
        select(LocalInboxMessage.id)
        .where(LocalInboxMessage.user_id == user_id, LocalInboxMessage.delivered_at.is_(None))
        .order_by(LocalInboxMessage.id)
        .limit(limit)
    )
    if bot.engine.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    claim = (
        update(LocalInboxMessage)
        .where(LocalInboxMessage.id.in_(pick.scalar_subquery()), LocalInboxMessage.delivered_at.is_(None))
        .values(delivered_at=bot.clock.now())
        .returning(LocalInboxMessage.id, LocalInboxMessage.text, LocalInboxMessage.format, LocalInboxMessage.created_at)
        .execution_options(synchronize_session=False)
    )
    async with bot.db() as session, session.begin():
        rows = (await session.execute(claim)).all()
    return sorted((InboxPush(*row) for row in rows), key=lambda p: p.id)
