"""Cadre lookups as one service: chat, and later the admin console, ask it and only format the result.

Every lookup — allowed, refused, not found or over the quota — leaves exactly one audit row,
written in the same transaction as the rate-limit count, so the answer exists only with its
record. A cadre outside the viewer's reach reads exactly like one that does not exist: the
result never tells a front end which IDs exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.actor import Actor
from bot.audit_record import has_unstorable
from bot.cadres import lookups
from bot.cadres.ids import Query, parse_query
from bot.cadres.lookup_quota import RATE_LIMITED, QuotaExceeded, admit
from bot.cadres.masking import mask_birth_date, mask_id_card, mask_phone
from bot.cadres.models import Cadre, ReserveRecord, TrainingRecord
from bot.cadres.requirements import Progress, progress
from bot.cadres.units import unit_names
from bot.roles import Role

if TYPE_CHECKING:
    from bot.app import OrgBot

LookupKind = Literal["training", "reserve", "profile"]
TRAINING: LookupKind = "training"
RESERVE: LookupKind = "reserve"
PROFILE: LookupKind = "profile"
ACTIONS: dict[LookupKind, str] = {TRAINING: "cadre.training", RESERVE: "cadre.reserve", PROFILE: "cadre.profile"}


@dataclass(frozen=True)
class LookupCommand:
    """``asked``: the ID or name looked for; ``self_lookup``: the person's own record instead.

    ``text`` is what the person sent, recorded in the audit row as the query.
    """

    actor: Actor
    kind: LookupKind
    asked: str = ""
    self_lookup: bool = False
    text: str = ""


@dataclass(frozen=True)
class CadreHeader:
    cadre_id: str
    name: str
    unit_code: str
    unit_name: str
    post: str
    rank: str


@dataclass(frozen=True)
class TrainingView:
    header: CadreHeader
    progress: Progress
    records: tuple[TrainingRecord, ...]


@dataclass(frozen=True)
class ReserveView:
    header: CadreHeader
    today: date
    records: tuple[ReserveRecord, ...]


@dataclass(frozen=True)
class ProfileView:
    """The basic record; ID number, phones and birth date already masked unless ``masked`` is False."""

    header: CadreHeader
    gender: str
    birth_date: str
    id_card: str
    education: str
    party_date: date | None
    work_start_date: date | None
    phone: str
    office_phone: str
    masked: bool


CadreView = TrainingView | ReserveView | ProfileView


@dataclass(frozen=True)
class Candidate:
    cadre_id: str
    name: str
    unit_code: str
    unit_name: str
    post: str


@dataclass(frozen=True)
class Found:
    kind: LookupKind
    view: CadreView


@dataclass(frozen=True)
class Ambiguous:
    """Several cadres the viewer may see match the name; ``unlisted`` more were not shown."""

    kind: LookupKind
    candidates: tuple[Candidate, ...]
    unlisted: int = 0


@dataclass(frozen=True)
class NotFound:
    """Nothing the viewer may see: the same whether the cadre does not exist or is out of reach.

    ``suggestions``: visible cadres whose ID contains what was typed (1003 → A1003), to pick from.
    """

    kind: LookupKind
    key: str
    by_id: bool
    suggestions: tuple[Candidate, ...] = ()


RefusalReason = Literal["guest", "unreadable", "invalid", "no_link"]


@dataclass(frozen=True)
class Refused:
    """Not looked up at all: a guest, unreadable input, a malformed query, or no own cadre ID on file."""

    kind: LookupKind
    reason: RefusalReason
    message: str = ""  # for "invalid": what is wrong with the query


LookupResult = Found | Ambiguous | NotFound | Refused | QuotaExceeded
# Runs inside the lookup's transaction after the audit row is added (e.g. chat keeps the pick list).
OnRecorded = Callable[[AsyncSession, LookupResult], Awaitable[None]]


@dataclass(frozen=True)
class _Finding:
    result: LookupResult
    outcome: str
    subject: str | None = None
    detail: str = ""


async def lookup(bot: OrgBot, command: LookupCommand, *, on_recorded: OnRecorded | None = None) -> LookupResult:
    """Find, gate and record in one transaction; the result exists only with its audit row.

    One session, one transaction: a lookup never holds a pooled connection while waiting
    for another, so a burst cannot exhaust the pool. The rate limit is counted inside the
    transaction that adds the audit row (``admit``), so concurrent lookups by one person
    cannot all slip under it; their turns queue in memory first (``PersonTurns``).
    """
    actor = command.actor
    action = ACTIONS[command.kind]
    async with bot.lookup_turns.turn(actor.user_id), bot.db() as session, session.begin():
        found = await _find(bot, session, command)
        now = bot.clock.now()  # after the person's turn came: the moment the count and the row describe
        limited = await admit(session, actor.user_id, now, bot.config.cadres)
        if limited is not None:
            actor.audit(session, now, action, RATE_LIMITED, query=command.text)
            result: LookupResult = limited
        else:
            actor.audit(
                session, now, action, found.outcome, query=command.text, subject=found.subject, detail=found.detail
            )
            result = found.result
        if on_recorded is not None:
            await on_recorded(session, result)
    # Counted once the audit row is committed, so the metrics and the audit log agree.
    bot.metrics.audited(action, RATE_LIMITED if limited is not None else found.outcome)
    return result


async def _find(bot: OrgBot, session: AsyncSession, command: LookupCommand) -> _Finding:
    """Only reads; on SQLite they run before the gate's write opens the write transaction."""
    kind, access = command.kind, command.actor.access
    if access.role is Role.GUEST:
        return _Finding(Refused(kind, "guest"), "denied", detail="guest")
    if has_unstorable(command.text):
        return _Finding(Refused(kind, "unreadable"), "invalid", detail="control characters")
    if command.self_lookup:
        if not access.cadre_id:
            return _Finding(Refused(kind, "no_link"), "no_link")
        query = Query(cadre_id=access.cadre_id)
    else:
        query = parse_query(command.asked)
        if query.error:
            return _Finding(Refused(kind, "invalid", query.error), "invalid", detail=query.error)
    if query.cadre_id is not None:
        return await _by_id(bot, session, command, query.cadre_id)
    assert query.name is not None
    return await _by_name(bot, session, command, query.name)


async def _by_id(bot: OrgBot, session: AsyncSession, command: LookupCommand, cadre_id: str) -> _Finding:
    found = await lookups.find_by_id(session, command.actor.access, cadre_id)
    if found.cadre is not None:
        return await _allowed(bot, session, command, found.cadre)
    outcome = "denied" if found.exists else "not_found"
    suggestions = await _candidates(session, found.similar)
    detail = "suggested=" + ",".join(c.cadre_id for c in suggestions) if suggestions else ""
    return _Finding(NotFound(command.kind, cadre_id, True, suggestions), outcome, subject=cadre_id, detail=detail)


async def _by_name(bot: OrgBot, session: AsyncSession, command: LookupCommand, name: str) -> _Finding:
    matches = await lookups.search_by_name(session, command.actor.access, name)
    if not matches:
        return _Finding(NotFound(command.kind, name, False), "not_found", detail=f"name={name}")
    if len(matches) > 1:
        shown = await _candidates(session, matches[: lookups.MAX_CHOICES])
        return _Finding(
            Ambiguous(command.kind, shown, len(matches) - len(shown)),
            "choices",
            detail="candidates=" + ",".join(c.cadre_id for c in shown),
        )
    cadre = await lookups.load_cadre(session, matches[0].cadre_id)
    assert cadre is not None
    return await _allowed(bot, session, command, cadre)


async def _allowed(bot: OrgBot, session: AsyncSession, command: LookupCommand, cadre: Cadre) -> _Finding:
    view = await _view(bot, session, command, cadre)
    return _Finding(Found(command.kind, view), "allowed", subject=cadre.cadre_id)


async def _candidates(session: AsyncSession, cadres: list[Cadre]) -> tuple[Candidate, ...]:
    names = await unit_names(session, {c.unit_code for c in cadres})
    return tuple(Candidate(c.cadre_id, c.name, c.unit_code, names.get(c.unit_code, ""), c.post) for c in cadres)


async def _view(bot: OrgBot, session: AsyncSession, command: LookupCommand, cadre: Cadre) -> CadreView:
    names = await unit_names(session, {cadre.unit_code})
    header = CadreHeader(
        cadre.cadre_id, cadre.name, cadre.unit_code, names.get(cadre.unit_code, ""), cadre.post, cadre.rank
    )
    today = bot.clock.now().astimezone(ZoneInfo(bot.config.bot.timezone)).date()
    if command.kind == TRAINING:
        prog = progress(cadre.rank, cadre.training, today.year, bot.config.cadres)
        return TrainingView(header, prog, tuple(cadre.training))
    if command.kind == RESERVE:
        return ReserveView(header, today, tuple(cadre.reserves))
    return profile_view(header, cadre, unmasked=command.actor.access.sees_unmasked)


def profile_view(header: CadreHeader, cadre: Cadre, *, unmasked: bool) -> ProfileView:
    """The one place that decides what of a cadre's sensitive fields a viewer sees."""
    return ProfileView(
        header=header,
        gender=cadre.gender,
        birth_date=(cadre.birth_date.isoformat() if cadre.birth_date else "—")
        if unmasked
        else mask_birth_date(cadre.birth_date),
        id_card=cadre.id_card if unmasked else mask_id_card(cadre.id_card),
        education=cadre.education,
        party_date=cadre.party_date,
        work_start_date=cadre.work_start_date,
        phone=cadre.phone if unmasked else mask_phone(cadre.phone),
        office_phone=cadre.office_phone if unmasked else mask_phone(cadre.office_phone),
        masked=not unmasked,
    )
