"""Per-person lookup limits, counted from the audit log so they hold across instances and restarts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import CadresConfig
from bot.storage.models import AuditEntry

LOOKUP_ACTION_PREFIX = "cadre."
RATE_LIMITED = "rate_limited"


async def limit_message(session: AsyncSession, actor: str, now: datetime, config: CadresConfig) -> str | None:
    """None while the person is within both limits, else the reply that explains which one they hit."""

    async def count_since(since: datetime) -> int:
        return (
            await session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(
                    AuditEntry.actor == actor,
                    AuditEntry.at > since,
                    AuditEntry.action.like(LOOKUP_ACTION_PREFIX + "%"),
                    AuditEntry.outcome != RATE_LIMITED,
                )
            )
            or 0
        )

    if await count_since(now - timedelta(minutes=1)) >= config.lookups_per_minute:
        return f"查询过于频繁：每分钟最多查询 {config.lookups_per_minute} 次，请稍后再试。"
    if await count_since(now - timedelta(days=1)) >= config.lookups_per_day:
        return (
            f"您在 24 小时内的查询已达上限（{config.lookups_per_day} 次），请明天再试；如确有工作需要，请联系管理员。"
        )
    return None
