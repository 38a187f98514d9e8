"""Ask the knowledge base with the chat's topic: the one rule for follow-up questions.

A question that reads as a follow-up of the chat's last answered question (see
knowledge.followup) is first asked as read in context; that reading is kept only when
it is answered, otherwise the question is asked as typed, so context can help a short
question but never turn an answerable one into a decline. Every answered question
becomes the chat's topic for ``[knowledge] followup_minutes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.chat_topics import store
from bot.chat_topics.store import ChatKey
from knowledge import Answer, KnowledgeBase
from knowledge.engine import AlsoWrite

if TYPE_CHECKING:
    from bot.app import OrgBot


@dataclass(frozen=True)
class ContextAnswer:
    """An answer, and the question it answers when it was read with the chat's topic."""

    answer: Answer
    read_as: str | None = None  # e.g. "预备期从哪天算" for "那预备期呢？"

    def note(self) -> str:
        """The line that tells the asker how the question was read ("" when as typed)."""
        return f"（接上文，按“{self.read_as}”理解）\n" if self.read_as else ""


async def ask_in_context(bot: OrgBot, kb: KnowledgeBase, key: ChatKey, question: str, user_id: str) -> ContextAnswer:
    """Answer ``question`` in the chat ``key``, reading it with the chat's topic when it
    is a follow-up; remembers what was answered as the new topic (in the knowledge base's
    own write for the question)."""
    now = bot.clock.now()
    keep = timedelta(minutes=bot.config.knowledge.followup_minutes)
    previous = await store.recall(bot.db, key, now) if keep > timedelta(0) else None

    def topic(asked: str) -> AlsoWrite | None:
        if keep <= timedelta(0):
            return None

        async def write(conn: AsyncConnection, answer: Answer) -> None:
            if answer.status == "answered":
                await conn.execute(store.upsert(conn.dialect.name, key, asked, now, keep))

        return write

    reading = kb.read_follow_up(question, previous) if previous else None
    if reading is not None:
        in_context = await kb.ask(
            reading.question,
            user_id=user_id,
            record=False,
            conversation=key.conversation,
            also=topic(reading.question),
        )
        if in_context.status == "answered":
            return ContextAnswer(in_context, reading.question)
    return ContextAnswer(await kb.ask(question, user_id=user_id, conversation=key.conversation, also=topic(question)))
