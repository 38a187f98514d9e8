"""What an import changed that the reminders from the records need to date: a cadre's rank and
a reserve entry's 考察 stage, and when records were last imported.

The sheets carry no "since" columns, so the day an import first sees a new rank or stage is
taken as the day it began. Kept beside the importer (one call before and one after it writes)
so the import itself stays about rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cadres.models import Cadre, RecordImport, ReserveRecord

CHUNK = 500


@dataclass(frozen=True)
class Before:
    ranks: dict[str, str]
    stages: dict[tuple[str, str], str]


def _chunks(keys: Iterable[str]) -> Iterable[list[str]]:
    items = sorted(set(keys))
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


async def before_import(session: AsyncSession, rows: Sequence[tuple[str, dict[str, Any]]]) -> Before:
    """The ranks and stages the rows may change, as they stand before the import writes."""
    cadre_ids = [v["cadre_id"] for kind, v in rows if kind == "cadres"]
    reserve_ids = [v["cadre_id"] for kind, v in rows if kind == "reserve"]
    ranks: dict[str, str] = {}
    for chunk in _chunks(cadre_ids):
        stmt_ranks = select(Cadre.cadre_id, Cadre.rank).where(Cadre.cadre_id.in_(chunk))
        ranks.update({cadre_id: rank for cadre_id, rank in await session.execute(stmt_ranks)})
    stages: dict[tuple[str, str], str] = {}
    for chunk in _chunks(reserve_ids):
        stmt = select(ReserveRecord.cadre_id, ReserveRecord.level, ReserveRecord.inspection_status).where(
            ReserveRecord.cadre_id.in_(chunk)
        )
        for cadre_id, level, stage in await session.execute(stmt):
            stages[(cadre_id, level)] = stage
    return Before(ranks, stages)


async def after_import(
    session: AsyncSession, before: Before, rows: Sequence[tuple[str, dict[str, Any]]], now: datetime
) -> None:
    """Date the ranks and stages the import changed (``now``: local time), and record the import."""
    today = now.date()
    for chunk in _chunks(before.ranks):
        for cadre in await session.scalars(select(Cadre).where(Cadre.cadre_id.in_(chunk))):
            old = before.ranks[cadre.cadre_id]
            if old and cadre.rank != old:
                cadre.previous_rank, cadre.rank_since = old, today
    for chunk in _chunks(cadre_id for cadre_id, _ in before.stages):
        for reserve in await session.scalars(select(ReserveRecord).where(ReserveRecord.cadre_id.in_(chunk))):
            old_stage = before.stages.get((reserve.cadre_id, reserve.level))
            if old_stage is not None and reserve.inspection_status != old_stage:
                reserve.stage_since = today
    kinds = ",".join(sorted({kind for kind, _ in rows}))
    session.add(RecordImport(at=now, kinds=kinds[:64], rows=len(rows)))
