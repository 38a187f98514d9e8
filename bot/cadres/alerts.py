"""Reminders from the records: who is behind on training hours, which reserve entries need action.

The service works out *what is due* and *who may be told*; it writes no chat text (that is
``bot/cadres/alert_text.py``) and sends nothing (``bot/scheduling/record_alerts.py`` queues it).
Every figure an organizer receives is cut to their scope with the same rule as a lookup
(``permissions.can_see``), so a summary can never name a cadre the recipient could not look up.

Pace: at day *d* of year *Y* a cadre should have earned what the year's requirement asks
minus what the rest of the year can still bring at their rank's yearly rate. For 乡科级 that
is the year's 90 学时 pro rata; for 县处级 it is the rolling five-year window Y-4..Y against
550 学时. A rank change seen by an import splits its year: each rank's hours count for the
part of the year it was held, and the years before it count at the previous rank's rate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.access import Access
from bot.cadres.config import CadresConfig
from bot.cadres.models import AlertMute, Cadre, RecordImport, ReserveRecord, TrainingRecord
from bot.cadres.permissions import can_see
from bot.cadres.requirements import counts, is_division_rank, record_year
from bot.cadres.units import subtree_codes
from bot.roles import Role
from bot.storage.models import Staff

TRAINING = "xueshi"
RESERVE = "houbei"
KINDS = (TRAINING, RESERVE)
# Only personal warnings can be muted; the word people type for each.
MUTABLE = {"学时": TRAINING, "学时预警": TRAINING, "xueshi": TRAINING}


# --- training hours ---------------------------------------------------------------------------


def _days_in_year(year: int) -> int:
    return (date(year + 1, 1, 1) - date(year, 1, 1)).days


def year_fraction(day: date) -> float:
    """How much of ``day``'s year has passed by the end of that day."""
    return day.timetuple().tm_yday / _days_in_year(day.year)


def _rate(rank: str, config: CadresConfig) -> float:
    """What one year at this rank contributes to the requirement being checked."""
    if is_division_rank(rank, config):
        return config.division_five_year_hours / 5
    return float(config.section_yearly_hours)


def year_requirement(cadre: Cadre, year: int, config: CadresConfig) -> float:
    """The hours ``year`` asks of this cadre, split at a rank change seen during it."""
    since, before = cadre.rank_since, cadre.previous_rank
    if since is None or not before or year > since.year:
        return _rate(cadre.rank, config)
    if year < since.year:
        return _rate(before, config)
    held_before = (since - date(year, 1, 1)).days / _days_in_year(year)
    return _rate(before, config) * held_before + _rate(cadre.rank, config) * (1 - held_before)


@dataclass(frozen=True)
class Standing:
    """One cadre's hours at a checkpoint: ``done`` against ``target`` (due by year end) and
    ``expected`` (what the pace asks by now). ``window_start`` is set for the five-year window."""

    cadre_id: str
    name: str
    unit_code: str
    rank: str
    division: bool
    day: date
    done: float
    target: float
    expected: float
    days_left: int
    window_start: int | None
    rank_changed_on: date | None = None

    @property
    def year(self) -> int:
        return self.day.year

    @property
    def behind(self) -> bool:
        return self.done + 1e-9 < self.expected

    @property
    def missing(self) -> float:
        return max(0.0, self.target - self.done)


def standing(cadre: Cadre, records: Iterable[TrainingRecord], day: date, config: CadresConfig) -> Standing:
    division = is_division_rank(cadre.rank, config)
    year = day.year
    first = year - 4 if division else year
    done = sum(r.hours for r in records if counts(r) and first <= record_year(r) <= year)
    target = sum(year_requirement(cadre, y, config) for y in range(first, year + 1))
    expected = max(0.0, target - _rate(cadre.rank, config) * (1 - year_fraction(day)))
    changed = cadre.rank_since if cadre.rank_since and cadre.rank_since.year == year and cadre.previous_rank else None
    return Standing(
        cadre_id=cadre.cadre_id,
        name=cadre.name,
        unit_code=cadre.unit_code,
        rank=cadre.rank,
        division=division,
        day=day,
        done=round(done, 1),
        target=round(target, 1),
        expected=round(expected, 1),
        days_left=(date(year, 12, 31) - day).days,
        window_start=first if division else None,
        rank_changed_on=changed,
    )


def furthest_behind(standings: Iterable[Standing]) -> list[Standing]:
    """Behind pace, the largest shortfall first (ties by cadre ID, so lists are stable)."""
    return sorted((s for s in standings if s.behind), key=lambda s: (-(s.expected - s.done), s.cadre_id))


# --- who may be told ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    access: Access


async def people(session: AsyncSession) -> list[Person]:
    """Active staff with the access a lookup would give them (organizers: their unit subtree)."""
    out: list[Person] = []
    for s in await session.scalars(select(Staff).where(Staff.active.is_(True)).order_by(Staff.user_id)):
        try:
            role = Role[s.role.upper()]
        except KeyError:
            continue
        units: frozenset[str] = frozenset()
        if role is Role.ORGANIZER and s.unit_scope:
            units = frozenset(await subtree_codes(session, s.unit_scope))
        out.append(Person(s.user_id, s.name, Access(s.user_id, role, s.cadre_id, s.unit_scope, units)))
    return out


def in_scope(access: Access, cadre_id: str, unit_code: str) -> bool:
    """A cadre an organizer's summary may name: in their units, and visible to them by the lookup rule."""
    return unit_code in access.units and can_see(access, cadre_id, unit_code)


async def muted_users(session: AsyncSession, kind: str) -> set[str]:
    return set(await session.scalars(select(AlertMute.user_id).where(AlertMute.kind == kind)))


async def set_muted(session: AsyncSession, user_id: str, kind: str, muted: bool, now: datetime) -> bool:
    """Mute or unmute one kind of personal warning; returns whether anything changed."""
    row = await session.get(AlertMute, (user_id, kind))
    if muted and row is None:
        session.add(AlertMute(user_id=user_id, kind=kind, muted_at=now))
        return True
    if not muted and row is not None:
        await session.delete(row)
        return True
    return False


# --- freshness ---------------------------------------------------------------------------------


async def last_import(session: AsyncSession, sheet_kind: str) -> datetime | None:
    """When records of this sheet kind (``training``, ``reserve``) were last imported."""
    return await session.scalar(select(func.max(RecordImport.at)).where(RecordImport.kinds.like(f"%{sheet_kind}%")))


@dataclass(frozen=True)
class Staleness:
    """The records were not re-imported since the previous checkpoint: nobody is warned on old figures."""

    last_import: datetime | None
    previous_checkpoint: datetime | None


async def staleness(session: AsyncSession, previous_checkpoint: datetime | None) -> Staleness | None:
    imported = await last_import(session, "training")
    if previous_checkpoint is None:
        has_records = await session.scalar(select(func.count()).select_from(TrainingRecord))
        return None if imported is not None or has_records else Staleness(None, None)
    if imported is None or imported <= previous_checkpoint:
        return Staleness(imported, previous_checkpoint)
    return None


# --- the training checkpoint -------------------------------------------------------------------


@dataclass(frozen=True)
class PersonalWarning:
    user_id: str
    standing: Standing


@dataclass(frozen=True)
class OrganizerSummary:
    user_id: str
    scope_unit: str
    on_track: int
    behind: list[Standing]  # all behind in scope, furthest first; the text names the first few

    @property
    def total(self) -> int:
        return self.on_track + len(self.behind)


@dataclass(frozen=True)
class DepartmentFigures:
    total: int
    behind: int
    behind_division: int
    behind_section: int
    warned: int  # behind and reachable and not muted: the personal messages
    muted: int
    unreachable: int  # behind but no active account linked to the record
    last_import: datetime | None


@dataclass(frozen=True)
class TrainingPlan:
    """Who hears what at one checkpoint. With ``stale`` set only the admins are told (of that)."""

    day: date
    personal: list[PersonalWarning]
    summaries: list[OrganizerSummary]
    admins: list[str]
    figures: DepartmentFigures
    muted: list[str]
    stale: Staleness | None = None

    @property
    def recipients(self) -> int:
        if self.stale is not None:
            return len(self.admins)
        return len(self.personal) + len(self.summaries) + len(self.admins)


async def standings(session: AsyncSession, day: date, config: CadresConfig) -> list[Standing]:
    rows = await session.scalars(select(Cadre).options(selectinload(Cadre.training)).order_by(Cadre.cadre_id))
    return [standing(c, c.training, day, config) for c in rows]


async def training_plan(
    session: AsyncSession, day: date, config: CadresConfig, previous_checkpoint: datetime | None = None
) -> TrainingPlan:
    stale = await staleness(session, previous_checkpoint)
    everyone = await people(session)
    admins = [p.user_id for p in everyone if p.access.is_admin]
    all_standings = await standings(session, day, config)
    muted = await muted_users(session, TRAINING)
    accounts: dict[str, list[str]] = {}
    for p in everyone:
        if p.access.cadre_id:
            accounts.setdefault(p.access.cadre_id, []).append(p.user_id)
    personal: list[PersonalWarning] = []
    muted_hit: list[str] = []
    unreachable = 0
    behind = furthest_behind(all_standings)
    for s in behind:
        users = accounts.get(s.cadre_id, [])
        if not users:
            unreachable += 1
        for user in users:
            if user in muted:
                muted_hit.append(user)
            else:
                personal.append(PersonalWarning(user, s))
    summaries: list[OrganizerSummary] = []
    for p in everyone:
        if not p.access.is_organizer or not p.access.units:
            continue
        mine = [s for s in all_standings if in_scope(p.access, s.cadre_id, s.unit_code)]
        if mine:
            late = furthest_behind(mine)
            summaries.append(OrganizerSummary(p.user_id, p.access.unit_scope or "", len(mine) - len(late), late))
    figures = DepartmentFigures(
        total=len(all_standings),
        behind=len(behind),
        behind_division=sum(1 for s in behind if s.division),
        behind_section=sum(1 for s in behind if not s.division),
        warned=len({w.standing.cadre_id for w in personal}),
        muted=len(muted_hit),
        unreachable=unreachable,
        last_import=await last_import(session, "training"),
    )
    return TrainingPlan(day, personal, summaries, admins, figures, muted_hit, stale)


async def behind_in_scope(session: AsyncSession, access: Access, day: date, config: CadresConfig) -> list[Standing]:
    """The full list behind a summary's 明细: everyone behind pace whom this person may see."""
    rows = await standings(session, day, config)
    if access.is_admin:
        return furthest_behind(rows)
    return furthest_behind(s for s in rows if in_scope(access, s.cadre_id, s.unit_code))


# --- reserve cadres ----------------------------------------------------------------------------

REVIEW, STALLED, NO_MEASURE = "review", "stalled", "no_measure"


@dataclass(frozen=True)
class ReserveFinding:
    """One pool entry needing action; ``since`` is when the clock started (entry, or the stage)."""

    reason: str
    cadre_id: str
    name: str
    unit_code: str
    level: str
    since: date
    stage: str = ""


def reserve_findings(
    record: ReserveRecord, name: str, unit_code: str, day: date, config: CadresConfig
) -> list[ReserveFinding]:
    if record.entered_on > day or (record.exit_on is not None and record.exit_on <= day):
        return []
    found: list[ReserveFinding] = []

    def add(reason: str, since: date, stage: str = "") -> None:
        found.append(ReserveFinding(reason, record.cadre_id, name, unit_code, record.level, since, stage))

    years = config.reserve_review_years
    try:
        review_at = record.entered_on.replace(year=record.entered_on.year + years)
    except ValueError:  # entered on 29 February
        review_at = date(record.entered_on.year + years, 3, 1)
    if review_at <= day:
        add(REVIEW, record.entered_on)
    stage = record.inspection_status.strip()
    if stage in config.reserve_pending_stages:
        # Before stage changes were recorded the stage cannot have begun before the entry.
        since = record.stage_since or record.entered_on
        if (day - since).days > config.reserve_stalled_days:
            add(STALLED, since, stage)
    year_start, year_end = date(day.year, 1, 1), date(day.year, 12, 31)
    if not any(
        (m.start_date or m.end_date) is not None
        and (m.start_date is None or m.start_date <= year_end)
        and (m.end_date is None or m.end_date >= year_start)
        for m in record.measures
    ):
        add(NO_MEASURE, record.entered_on)
    return found


@dataclass(frozen=True)
class ReserveSummary:
    user_id: str
    scope_unit: str
    findings: list[ReserveFinding]


@dataclass(frozen=True)
class ReservePlan:
    day: date
    summaries: list[ReserveSummary]
    admins: list[str]
    counts: dict[str, int]  # reason → entries department-wide
    pool: int  # active entries department-wide

    @property
    def recipients(self) -> int:
        return len(self.summaries) + len(self.admins)


async def all_reserve_findings(
    session: AsyncSession, day: date, config: CadresConfig
) -> tuple[list[ReserveFinding], int]:
    stmt = (
        select(ReserveRecord, Cadre.name, Cadre.unit_code)
        .join(Cadre, Cadre.cadre_id == ReserveRecord.cadre_id)
        .options(selectinload(ReserveRecord.measures))
        .order_by(ReserveRecord.cadre_id, ReserveRecord.level)
    )
    found: list[ReserveFinding] = []
    pool = 0
    for record, name, unit_code in await session.execute(stmt):
        if record.entered_on <= day and (record.exit_on is None or record.exit_on > day):
            pool += 1
        found.extend(reserve_findings(record, name, unit_code, day, config))
    return found, pool


async def reserve_plan(session: AsyncSession, day: date, config: CadresConfig) -> ReservePlan:
    found, pool = await all_reserve_findings(session, day, config)
    everyone = await people(session)
    summaries = []
    for p in everyone:
        if p.access.is_organizer and p.access.units:
            mine = [f for f in found if in_scope(p.access, f.cadre_id, f.unit_code)]
            if mine:
                summaries.append(ReserveSummary(p.user_id, p.access.unit_scope or "", mine))
    counts = {reason: sum(1 for f in found if f.reason == reason) for reason in (REVIEW, STALLED, NO_MEASURE)}
    admins = [p.user_id for p in everyone if p.access.is_admin]
    return ReservePlan(day, summaries, admins, counts, pool)


def named_in(items: Sequence[Standing] | Sequence[ReserveFinding]) -> list[str]:
    """The cadre IDs a message names, each once, for its audit rows."""
    return list(dict.fromkeys(i.cadre_id for i in items))
