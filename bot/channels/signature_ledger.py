"""Use each signed callback header pair once: the first message it arrives with owns it.

A platform whose signature covers only the timestamp (DingTalk's robot callback)
makes every captured (timestamp, sign) pair a bearer credential for whatever body
comes with it. Recording the pair with its first message's id and body digest, under
a primary key, lets the platform's own retry (same pair, same message) through and
refuses any other message under that pair, atomically across instances. The first
refused replay of a pair leaves an audit row: someone holds a captured pair.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.audit_trail import AuditRecord
from bot.audit_trail import write as write_audit
from bot.channels.models import CallbackSignature

# Rows outlive any replay window the configuration allows (platforms tolerate at most an
# hour), so raising the window at a restart cannot revive a pair whose row was purged.
KEEP_FOR = timedelta(hours=1)
REPLAY_ACTION = "callback.replay"


@dataclass(frozen=True)
class SignedDelivery:
    channel: str
    signature: str
    signed_at: datetime
    message_id: str
    body_digest: str


@dataclass(frozen=True)
class ClaimedContent:
    """What a refused replay claimed to be, for the audit row; none of it is verified."""

    sender: str
    chat_id: str
    text: str
    subject: str | None
    note: str


def body_digest(data: Any) -> str:
    """A digest of the parsed body, so a retry re-serialised by the platform still matches."""
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def claim(db: async_sessionmaker[AsyncSession], delivery: SignedDelivery, now: datetime) -> bool:
    """True when the pair is new, or is the same message again (a platform retry)."""
    try:
        async with db() as session, session.begin():
            session.add(
                CallbackSignature(
                    channel=delivery.channel,
                    signature=delivery.signature,
                    message_id=delivery.message_id[:191],
                    body_digest=delivery.body_digest,
                    signed_at=delivery.signed_at,
                    expires_at=max(delivery.signed_at, now) + KEEP_FOR,
                )
            )
    except IntegrityError:
        async with db() as session:
            first = await session.get(CallbackSignature, (delivery.channel, delivery.signature))
        return (
            first is not None
            and first.message_id == delivery.message_id[:191]
            and first.body_digest == delivery.body_digest
        )
    return True


async def record_replay(
    db: async_sessionmaker[AsyncSession], delivery: SignedDelivery, claimed: ClaimedContent, now: datetime
) -> bool:
    """Audit the first refused replay of a pair (True); later ones only count in the logs."""
    async with db() as session, session.begin():
        first = await session.execute(
            update(CallbackSignature)
            .where(
                CallbackSignature.channel == delivery.channel,
                CallbackSignature.signature == delivery.signature,
                CallbackSignature.first_refused_at.is_(None),
            )
            .values(first_refused_at=now)
        )
        if getattr(first, "rowcount", 0) != 1:
            return False
        write_audit(
            session,
            now,
            AuditRecord(
                actor=f"{delivery.channel}:unverified",
                actor_role="guest",
                channel=delivery.channel,
                chat_id=claimed.chat_id,
                action=REPLAY_ACTION,
                query=claimed.text,
                subject=claimed.subject,
                outcome="refused",
                detail=f"已用过的签名重放，自称发送人 {claimed.sender[:64]}；{claimed.note}",
            ),
        )
    return True


async def purge_expired(session: AsyncSession, now: datetime) -> None:
    await session.execute(delete(CallbackSignature).where(CallbackSignature.expires_at < now))
