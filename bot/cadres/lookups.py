"""Queries behind the chat lookups; each loads only what the viewer may see."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.cadres.models import Cadre, ReserveRecord
from bot.cadres.permissions import Viewer, can, can_see, visible_clause

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


@dataclass(frozen=True)
class ByIdResult:
    """What a lookup by ID found: the full record only if the viewer may see it."""

    cadre: Cadre | None
    exists: bool
    similar: list[Cadre]


async def find_by_id(session: AsyncSession, viewer: Viewer, cadre_id: str) -> ByIdResult:
    """The record if the viewer may see it, else suggestions; a refusal costs the same for any ID.

    Timing must not tell which IDs exist: the first read fetches two columns whether or not
    the ID exists, and every refusal then runs the same suggestion search. Only a visible
    cadre's record (training, reserve history) is loaded in full.
    """
    placed = (await session.execute(select(Cadre.cadre_id, Cadre.unit_code).where(Cadre.cadre_id == cadre_id))).first()
    if placed is not None and can_see(viewer, placed.cadre_id, placed.unit_code):
        return ByIdResult(await load_cadre(session, cadre_id), True, [])
    return ByIdResult(None, placed is not None, await similar_ids(session, viewer, cadre_id))


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
