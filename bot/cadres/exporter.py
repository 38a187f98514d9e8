"""Blank templates and full exports in the same columns the importer reads, so an export re-imports as is."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.cadres.dates import parse_date
from bot.cadres.masking import mask_id_card
from bot.cadres.measures import Measure, render_measures
from bot.cadres.models import Cadre, ReserveRecord, TrainingRecord, Unit
from bot.cadres.sheets import write_table
from bot.cadres.templates import KINDS, Kind
from bot.staff import KNOWN_CHANNELS
from bot.storage.models import Staff

FORMATS = ("xlsx", "csv")


def _example_value(kind: Kind, key: str, raw: str) -> Any:
    if raw and key in ("start_date", "end_date", "entered_on", "exit_on", "birth_date"):
        return parse_date(raw)
    return raw


def write_templates(folder: Path, fmt: str = "xlsx", kinds: Sequence[Kind] = KINDS) -> list[Path]:
    """One blank sheet per kind: the headers (``*`` = required) and one example row starting with 示例."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for kind in kinds:
        path = folder / f"{kind.filename_stem}.{fmt}"
        example = [_example_value(kind, c.key, c.example) for c in kind.columns]
        write_table(path, kind.title, [c.title for c in kind.columns], [example])
        written.append(path)
    return written


async def _staff_rows(session: AsyncSession, full: bool) -> list[list[Any]]:
    people = await session.scalars(select(Staff).options(selectinload(Staff.identities)).order_by(Staff.user_id))
    rows = []
    for s in people:
        ids = {i.channel: i.platform_user_id for i in s.identities}
        rows.append(
            [s.user_id, s.name, s.role, s.unit or "", s.unit_scope or "", s.cadre_id or ""]
            + [ids.get(ch, "") for ch in KNOWN_CHANNELS]
        )
    return rows


async def _unit_rows(session: AsyncSession, full: bool) -> list[list[Any]]:
    return [[u.code, u.name, u.parent_code or ""] for u in await session.scalars(select(Unit).order_by(Unit.code))]


async def _cadre_rows(session: AsyncSession, full: bool) -> list[list[Any]]:
    rows = []
    for c in await session.scalars(select(Cadre).order_by(Cadre.cadre_id)):
        rows.append(
            [
                c.cadre_id, c.name, c.unit_code, c.post, c.rank, c.gender, c.birth_date,
                c.id_card if full else mask_id_card(c.id_card),
                c.education, c.party_date, c.work_start_date, c.phone, c.office_phone,
            ]
        )  # fmt: skip
    return rows


async def _training_rows(session: AsyncSession, full: bool) -> list[list[Any]]:
    stmt = select(TrainingRecord).order_by(TrainingRecord.cadre_id, TrainingRecord.start_date, TrainingRecord.course)
    return [
        [t.cadre_id, t.course, t.organizer, t.start_date, t.end_date, t.hours, None, t.mode, t.status, t.certificate]
        for t in await session.scalars(stmt)
    ]


async def _reserve_rows(session: AsyncSession, full: bool) -> list[list[Any]]:
    stmt = (
        select(ReserveRecord)
        .options(selectinload(ReserveRecord.measures))
        .order_by(ReserveRecord.cadre_id, ReserveRecord.entered_on)
    )
    rows = []
    for r in await session.scalars(stmt):
        measures = render_measures([Measure(m.kind, m.content, m.start_date, m.end_date) for m in r.measures])
        rows.append(
            [
                r.cadre_id, r.level, r.entered_on, r.recommended_by, r.inspection_status,
                r.inspection_result, measures, r.exit_on, r.exit_reason,
            ]
        )  # fmt: skip
    return rows


_ROWS: dict[str, Callable[[AsyncSession, bool], Any]] = {
    "staff": _staff_rows,
    "units": _unit_rows,
    "cadres": _cadre_rows,
    "training": _training_rows,
    "reserve": _reserve_rows,
}


async def export_all(
    session: AsyncSession, folder: Path, fmt: str = "xlsx", kinds: Iterable[Kind] = KINDS, *, full: bool = False
) -> list[tuple[Path, int]]:
    """Write one file per kind; ID-card numbers keep only their last 4 digits unless ``full``."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[tuple[Path, int]] = []
    for kind in kinds:
        rows = await _ROWS[kind.name](session, full)
        path = folder / f"{kind.filename_stem}.{fmt}"
        write_table(path, kind.title, [c.title for c in kind.columns], rows)
        written.append((path, len(rows)))
    return written
