"""Remember, recall and forget a chat's topic (rows of ChatTopic)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Insert, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.chat_topics.models import ChatTopic
from bot.storage.db import conflict_insert

QUESTION_CHARS = 500  # a topic is a question, not a document: longer text is cut


@dataclass(frozen=True)
class ChatKey:
    """Whose topic: one person in one chat on one channel."""

    channel: str
    chat_id: str
    user_id: str

    @property
    def conversation(self) -> str:
        """The knowledge base's key for this person's last answer in this chat."""
        return f"{self.channel}:{self.chat_id}:{self.user_id}"


async def recall(db: async_sessionmaker[AsyncSession], key: ChatKey, now: datetime) -> str | None:
    """The last answered question, or None when there is none or it has expired.

    Only reads: an expired row is replaced by the next answer or removed by housekeeping,
    so that asking never waits for the write lock just to tidy up."""
    async with db() as session:
        row = await session.get(ChatTopic, (key.channel, key.chat_id, key.user_id))
        if row is None or row.expires_at <= now:
            return None
        return row.question


async def forget_expired(session: AsyncSession, now: datetime) -> None:
    await session.execute(delete(ChatTopic).where(ChatTopic.expires_at < now))


def upsert(dialect_name: str, key: ChatKey, question: str, now: datetime, keep: timedelta) -> Insert:
    """The one statement that makes ``question`` the topic (runs after every answered question)."""
    values = {"question": question[:QUESTION_CHARS], "expires_at": now + keep, "updated_at": now}
    stmt = conflict_insert(dialect_name)(ChatTopic).values(
        channel=key.channel, chat_id=key.chat_id, user_id=key.user_id, **values
    )
    return stmt.on_conflict_do_update(index_elements=["channel", "chat_id", "user_id"], set_=values)


async def current(db: async_sessionmaker[AsyncSession], key: ChatKey) -> ChatTopic | None:
    """The stored row as it is (tests and admin views)."""
    async with db() as session:
        return (
            await session.execute(
                select(ChatTopic).where(
                    ChatTopic.channel == key.channel, ChatTopic.chat_id == key.chat_id, ChatTopic.user_id == key.user_id
                )
            )
        ).scalar_one_or_none()
