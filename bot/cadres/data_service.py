"""The cadre register's data as one service: blank templates, validated imports, exports.

Chat, ``orgbot data``/``orgbot staff import`` and the admin console call these functions;
each checks that the actor may (imports and exports of personal data are for admins), writes
the audit row, and returns typed results — the import report names every wrong row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from bot.actor import DENIED, Actor, NotPermitted, audit_alone
from bot.cadres.exporter import export_all, write_templates
from bot.cadres.importer import ImportReport, Progress, import_files
from bot.cadres.templates import KINDS, Kind
from bot.roles import Role

if TYPE_CHECKING:
    from bot.app import OrgBot

SheetFormat = Literal["xlsx", "csv"]
IMPORT, EXPORT = "data.import", "data.export"
# Personal data (ID numbers, phones, reserve status) goes in and out only through admins.
DATA_ROLE = Role.ADMIN


@dataclass(frozen=True)
class ExportedFile:
    path: Path
    rows: int


@dataclass(frozen=True)
class Export:
    files: tuple[ExportedFile, ...]
    full: bool  # ID-card numbers in full; otherwise only their last 4 characters


def blank_templates(folder: Path, fmt: SheetFormat = "xlsx", kinds: Sequence[Kind] = KINDS) -> list[Path]:
    """One empty sheet per kind with an example row: nothing personal, so anyone may have them."""
    return write_templates(folder, fmt, kinds)


async def import_sheets(
    bot: OrgBot,
    actor: Actor,
    paths: Sequence[Path],
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport | NotPermitted:
    """Check every row of every file; write all of them or none. ``dry_run`` reports without writing."""
    query = " ".join(p.name for p in paths)
    if not actor.may(DATA_ROLE):
        await audit_alone(bot, actor.record(IMPORT, DENIED, query=query))
        return NotPermitted(IMPORT, DATA_ROLE)
    report = await import_files(
        bot.db, paths, hours_per_day=bot.config.cadres.hours_per_day, dry_run=dry_run, progress=progress
    )
    outcome = "rejected" if report.issues else ("dry_run" if dry_run else "applied")
    summary = "; ".join(
        f"{name}: +{len(ch.created)} ~{len(ch.updated)} ={ch.unchanged}" for name, ch in report.changes.items()
    )
    await audit_alone(bot, actor.record(IMPORT, outcome, query=query, detail=summary or f"{len(report.issues)} issues"))
    return report


async def export_register(
    bot: OrgBot,
    actor: Actor,
    folder: Path,
    fmt: SheetFormat = "xlsx",
    kinds: Sequence[Kind] = KINDS,
    *,
    full: bool = False,
) -> Export | NotPermitted:
    """Every record in the importer's columns (an export re-imports as is); ID numbers masked unless ``full``."""
    if not actor.may(DATA_ROLE):
        await audit_alone(bot, actor.record(EXPORT, DENIED, query=str(folder)))
        return NotPermitted(EXPORT, DATA_ROLE)
    async with bot.db() as session:
        written = await export_all(session, folder, fmt, kinds, full=full)
    detail = ", ".join(f"{p.name}:{n}" for p, n in written)
    await audit_alone(bot, actor.record(EXPORT, "full" if full else "masked", query=str(folder), detail=detail))
    return Export(tuple(ExportedFile(p, n) for p, n in written), full)
