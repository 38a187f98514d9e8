"""Queries behind the chat lookups; each loads only what the viewer may see."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.cadres.models import Cadre, ReserveRecord
from bot.cadres.permissions import Viewer, can, visible_clause

MAX_CHOICES = 9


async def load_cadre(session: AsyncSession, cadre_id: str) -> Cadre | None:
    return await session.scalar(
        select(Cadre)
        .options(
            selectinload(Cadre.training),
            selectinload(Cadre.reserves).selectinload(ReserveRecord.measures),
        )
        .where(Cadre.cadre_id == cadre_id)
    )


async def visible_cadre(session: AsyncSession, viewer: Viewer, cadre_id: str) -> Cadre | None:
    """The cadre if it exists *and* the viewer may see it; callers cannot tell the two cases apart."""
    cadre = await load_cadre(session, cadre_id)
    if cadre is None or not can(viewer, cadre):
        return None
    return cadre


async def search_by_name(session: AsyncSession, viewer: Viewer, name: str) -> list[Cadre]:
    """Exact name matches first, then names containing the text; only cadres the viewer may see."""
    pattern = "%" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = await session.scalars(
        select(Cadre)
        .where(visible_clause(viewer), Cadre.name.like(pattern, escape="\\"))
        .order_by(Cadre.name, Cadre.cadre_id)
        .limit(50)
    )
    found = [c for c in rows if can(viewer, c)]
    found.sort(key=lambda c: (c.name != name, c.name, c.cadre_id))
    return found


async def similar_ids(session: AsyncSession, viewer: Viewer, typed: str) -> list[Cadre]:
    """IDs containing what was typed (1003 → A1003), among cadres the viewer may see, for a pick list."""
    if len(typed) < 3:
        return []
    pattern = "%" + typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = await session.scalars(
        select(Cadre)
        .where(visible_clause(viewer), Cadre.cadre_id.like(pattern, escape="\\"))
        .order_by(Cadre.cadre_id)
        .limit(MAX_CHOICES)
    )
    return [c for c in rows if can(viewer, c)]
