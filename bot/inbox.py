"""The durable inbox: what was acknowledged is on disk before the platform hears "200".

A row moves received → answering → answered (or failed / expired). Workers claim rows one
conversation at a time (a person's messages in a chat are answered in order and a flood from
one sender occupies one worker), and a claim is a lease (``[bot] answer_lease_seconds``),
renewed while the worker is busy with the row: a row whose worker died is claimed again when
the lease runs out, or at the next start on SQLite, where only one instance runs.

Each claim increments ``attempts``, which then names that claim: every later write of the
worker (progress, answered, given back) is fenced by it, so a worker that lost its row to
another claim (it stalled past its lease) changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import CursorResult, and_, delete, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from bot.messages import ChatType, Incoming, Reply, ReplyFormat
from bot.storage.models import InboundMessage


class InboxUnavailable(RuntimeError):
    """The message could not be recorded: the platform must get a 5xx and retry, never a 200."""


class State(StrEnum):
    RECEIVED = "received"
    ANSWERING = "answering"
    ANSWERED = "answered"
    SKIPPED = "skipped"  # recorded only to dedupe (a group message that did not @ the bot)
    FAILED = "failed"
    EXPIRED = "expired"  # too old to answer when resumed: reported instead


OPEN_STATES = (State.RECEIVED, State.ANSWERING)


def conversation_of(message: Incoming) -> str:
    return f"{message.chat_id}\x1f{message.sender_id}"[:255]


def encode_message(message: Incoming) -> str:
    return json.dumps(
        {
            "channel": message.channel,
            "chat_id": message.chat_id,
            "chat_type": message.chat_type.value,
            "sender_id": message.sender_id,
            "text": message.text,
            "message_id": message.message_id,
            "mentions": list(message.mentions),
            "mentioned_bot": message.mentioned_bot,
            "sender_name": message.sender_name,
            "time": message.time.isoformat(),
            "raw": message.raw,
        },
        ensure_ascii=False,
        default=str,
    )


def decode_message(payload: str) -> Incoming:
    data = json.loads(payload)
    return Incoming(
        channel=data["channel"],
        chat_id=data["chat_id"],
        chat_type=ChatType(data["chat_type"]),
        sender_id=data["sender_id"],
        text=data["text"],
        message_id=data["message_id"],
        mentions=tuple(data.get("mentions") or ()),
        mentioned_bot=bool(data.get("mentioned_bot")),
        sender_name=data.get("sender_name") or "",
        time=datetime.fromisoformat(data["time"]),
        raw=data.get("raw"),
    )


def encode_replies(replies: list[Reply]) -> str:
    return json.dumps(
        [
            {
                "text": r.text,
                "format": r.format.value,
                "private": r.private,
                "mention_sender": r.mention_sender,
                "mentions": list(r.mentions),
            }
            for r in replies
        ],
        ensure_ascii=False,
    )


def decode_replies(text: str | None) -> list[Reply] | None:
    if text is None:
        return None
    return [
        Reply(
            d["text"],
            format=ReplyFormat(d["format"]),
            private=bool(d["private"]),
            mention_sender=bool(d["mention_sender"]),
            mentions=tuple(d["mentions"]),
        )
        for d in json.loads(text)
    ]


@dataclass(frozen=True)
class Claimed:
    """One row a worker holds: the message, and the answer computed before a restart, if any."""

    id: int
    message: Incoming
    replies: list[Reply] | None
    replies_sent: int
    attempts: int
    received_at: datetime


def _rowcount(result: Any) -> int:
    return int(result.rowcount) if isinstance(result, CursorResult) else 0


class Inbox:
    def __init__(self, db: async_sessionmaker[AsyncSession], lease: timedelta) -> None:
        self.db = db
        self.lease = lease

    async def record(self, message: Incoming, now: datetime, *, state: State = State.RECEIVED) -> bool:
        """Write the message durably; False when this (channel, message id) was recorded before.

        Raises InboxUnavailable when the database cannot take it, so the caller answers 5xx.
        """
        row = InboundMessage(
            channel=message.channel,
            message_id=message.message_id[:191],
            conversation=conversation_of(message),
            state=state.value,
            payload=encode_message(message) if state is not State.SKIPPED else "",
            received_at=now,
            attempts=0,
            available_at=now,
            replies_sent=0,
            error="",
        )
        try:
            async with self.db() as session, session.begin():
                session.add(row)
        except IntegrityError:
            return False
        except Exception as exc:
            raise InboxUnavailable(f"{type(exc).__name__}: {str(exc)[:200]}") from exc
        return True

    async def claim(self, now: datetime, busy_channels: frozenset[str] = frozenset()) -> Claimed | None:
        """Take the oldest claimable row that is the oldest open one of its conversation.

        Rows whose lease ran out (a dead worker's, few) come first, then the oldest waiting
        row. Each is one UPDATE … RETURNING whose pick walks the (state, id) index in order
        and stops at the first row that qualifies. (One pick with an OR over both states made
        the database gather and sort every waiting row on each claim: 11 ms with 10,000
        waiting on SQLite, where claims take turns, so the claims set the drain rate.)
        On SQLite the UPDATE takes the write lock at once (a read upgraded to a write can fail
        with "database is locked"); on PostgreSQL SKIP LOCKED lets instances share.
        """
        other = aliased(InboundMessage)
        # Only the oldest open message of a conversation may be taken: a person's messages are
        # answered in order, and on PostgreSQL a row another worker is claiming right now (its
        # 'answering' not yet committed) still blocks the next one, as 'received'.
        earlier_open = exists().where(
            other.conversation == InboundMessage.conversation,
            other.id < InboundMessage.id,
            other.state.in_([State.RECEIVED.value, State.ANSWERING.value]),
        )
        orphaned = and_(InboundMessage.state == State.ANSWERING.value, InboundMessage.lease_until <= now)
        waiting = and_(InboundMessage.state == State.RECEIVED.value, InboundMessage.available_at <= now)
        row = None
        async with self.db() as session, session.begin():
            for claimable in (orphaned, waiting):
                pick = select(InboundMessage.id).where(claimable, ~earlier_open).order_by(InboundMessage.id).limit(1)
                if busy_channels:
                    pick = pick.where(InboundMessage.channel.not_in(sorted(busy_channels)))
                if session.get_bind().dialect.name == "postgresql":
                    pick = pick.with_for_update(skip_locked=True)
                row = (
                    await session.execute(
                        update(InboundMessage)
                        .where(InboundMessage.id == pick.scalar_subquery())
                        .values(
                            state=State.ANSWERING.value,
                            lease_until=now + self.lease,
                            attempts=InboundMessage.attempts + 1,
                        )
                        .returning(
                            InboundMessage.id,
                            InboundMessage.payload,
                            InboundMessage.replies,
                            InboundMessage.replies_sent,
                            InboundMessage.attempts,
                            InboundMessage.received_at,
                        )
                    )
                ).one_or_none()
                if row is not None:
                    break
        if row is None:
            return None
        return Claimed(
            id=row.id,
            message=decode_message(row.payload),
            replies=decode_replies(row.replies),
            replies_sent=row.replies_sent,
            attempts=row.attempts,
            received_at=row.received_at,
        )

    async def _update_held(self, claimed: Claimed, **values: Any) -> bool:
        """Write to a row only while this claim still holds it; False when it was lost."""
        async with self.db() as session, session.begin():
            result = await session.execute(
                update(InboundMessage)
                .where(
                    InboundMessage.id == claimed.id,
                    InboundMessage.state == State.ANSWERING.value,
                    InboundMessage.attempts == claimed.attempts,
                )
                .values(**values)
            )
        return _rowcount(result) > 0

    async def renew(self, claimed: Claimed, now: datetime) -> bool:
        """Extend the lease of a row still being answered; False when the claim was lost."""
        return await self._update_held(claimed, lease_until=now + self.lease)

    async def save_replies(self, claimed: Claimed, replies: list[Reply]) -> bool:
        return await self._update_held(claimed, replies=encode_replies(replies))

    async def mark_sent(
        self, claimed: Claimed, sent: int, now: datetime, *, done: bool, replies: list[Reply] | None = None
    ) -> bool:
        values: dict[str, Any] = {"replies_sent": sent}
        if replies is not None:
            values["replies"] = encode_replies(replies)
        if done:
            values.update(state=State.ANSWERED.value, finished_at=now, lease_until=None)
        return await self._update_held(claimed, **values)

    async def finish(self, claimed: Claimed, state: State, now: datetime, error: str = "") -> bool:
        return await self._update_held(
            claimed, state=state.value, finished_at=now, lease_until=None, error=error[:2000]
        )

    async def retry_later(self, claimed: Claimed, at: datetime, error: str) -> bool:
        """Give the row back, to be claimed again from ``at`` (now: at once, as at shutdown)."""
        return await self._update_held(
            claimed, state=State.RECEIVED.value, available_at=at, lease_until=None, error=error[:2000]
        )

    async def release_all(self, now: datetime) -> int:
        """At start on SQLite (one instance only): rows left 'answering' belong to a process that is gone."""
        async with self.db() as session, session.begin():
            result = await session.execute(
                update(InboundMessage)
                .where(InboundMessage.state == State.ANSWERING.value)
                .values(state=State.RECEIVED.value, lease_until=None, available_at=now)
            )
        return _rowcount(result)

    async def expire_older_than(self, cutoff: datetime, now: datetime) -> list[Incoming]:
        """Rows still unanswered since before ``cutoff``: too late to answer, to be reported instead."""
        async with self.db() as session, session.begin():
            rows = list(
                await session.scalars(
                    select(InboundMessage).where(
                        InboundMessage.state == State.RECEIVED.value, InboundMessage.received_at < cutoff
                    )
                )
            )
            if rows:
                await session.execute(
                    update(InboundMessage)
                    .where(InboundMessage.id.in_([r.id for r in rows]), InboundMessage.state == State.RECEIVED.value)
                    .values(state=State.EXPIRED.value, finished_at=now, error="too old when resumed")
                )
        return [decode_message(r.payload) for r in rows if r.payload]

    async def counts(self) -> dict[str, int]:
        async with self.db() as session:
            rows = await session.execute(
                select(InboundMessage.state, func.count())
                .where(InboundMessage.state.in_([s.value for s in OPEN_STATES]))
                .group_by(InboundMessage.state)
            )
            return {state: int(n) for state, n in rows}

    async def oldest_waiting(self) -> datetime | None:
        """When the oldest message still waiting for an answer arrived (for /metrics)."""
        async with self.db() as session:
            value: datetime | None = await session.scalar(
                select(func.min(InboundMessage.received_at)).where(InboundMessage.state == State.RECEIVED.value)
            )
            return value

    async def forget_finished(self, cutoff: datetime) -> None:
        """Finished rows are kept only as long as platforms may retry (``dedupe_hours``)."""
        async with self.db() as session, session.begin():
            await session.execute(
                delete(InboundMessage).where(
                    InboundMessage.received_at < cutoff, InboundMessage.state.not_in([s.value for s in OPEN_STATES])
                )
            )
