"""Receipts for organizers: the overview, one notice's report, its export and 催办 — for every front end.

Reached as ``bot.scheduling.receipts``. An admin sees every notice; an organizer the notices
they created, and those that reached people in their units — but then only those people
(``receipts.Scope``). Recipients' own 收到 is ``bot.scheduling.receipts.confirm``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import Access
from bot.cadres.sheets import write_table
from bot.scheduling import receipts
from bot.scheduling import schedules as sched
from bot.scheduling.actor import Actor, Refusal, Refused, refusals_audited, units
from bot.scheduling.firing import expand_fire
from bot.scheduling.models import Schedule
from bot.scheduling.rules import Fire, Policy

if TYPE_CHECKING:
    from bot.app import OrgBot

EXPORT_SUFFIXES = (".csv", ".xlsx")


class NoReceipts(sched.ScheduleError):
    """The schedule does not ask for receipts."""

    def __init__(self, schedule: Schedule) -> None:
        super().__init__(f"#{schedule.id} {schedule.name} 不需要回执。")
        self.schedule = schedule


@dataclass(frozen=True)
class ReceiptView:
    """One notice's receipts as this viewer may see them. ``sent``: it has gone out at least once;
    ``planned``: before that, how many people it is meant to reach."""

    schedule: Schedule
    report: receipts.ReceiptReport
    scope: receipts.Scope
    sent: bool
    planned: int | None = None

    @property
    def waiting_for_send(self) -> bool:
        return not self.sent and self.report.expected == 0 and not self.report.in_group


@dataclass(frozen=True)
class ReceiptSheet:
    view: ReceiptView
    headers: tuple[str, ...]
    rows: list[list[str]]


class Nudge(StrEnum):
    SENT = "sent"
    GROUP_ONLY = "group_only"  # sent to group chats only: nobody knows who has not confirmed
    ALL_CONFIRMED = "all_confirmed"


@dataclass(frozen=True)
class Nudged:
    schedule: Schedule
    outcome: Nudge
    recipients: int = 0
    scoped: bool = False


class ReceiptDesk:
    def __init__(self, bot: OrgBot, policy: Policy) -> None:
        self.bot = bot
        self.policy = policy

    async def _scope(self, session: AsyncSession, actor: Actor) -> receipts.Scope:
        access = actor.access
        scope_units = await units(session, actor)
        return receipts.scope_for(Access(access.user_id, access.role, access.cadre_id, access.unit_scope, scope_units))

    async def overview(self, actor: Actor, *, offset: int = 0, limit: int = 20) -> list[receipts.NoticeCounts]:
        """The newest notices asking for receipts that the actor may see, with the counts they may see
        (a page of them: ``offset`` notices skipped, at most ``limit``)."""
        async with self.bot.db() as session:
            return await receipts.overview(session, await self._scope(session, actor), limit, offset)

    async def report(self, actor: Actor, schedule_id: int) -> ReceiptView:
        async with refusals_audited(self.bot, actor, "receipt.report", schedule_id), self.bot.db() as session:
            return await self._view(session, actor, schedule_id)

    async def _view(self, session: AsyncSession, actor: Actor, schedule_id: int) -> ReceiptView:
        schedule = await sched.get(session, schedule_id)
        scope = await self._scope(session, actor)
        if not await receipts.may_see(session, scope, schedule):
            where = f"（{scope.label}）" if scope.label else ""
            raise Refused(
                Refusal.NOT_VISIBLE,
                f"#{schedule_id} 由他人创建，且没有发给您管理范围{where}内的人员；"
                "组织员只能查看自己发出的、或发到本单位人员的通知的回执。",
            )
        if not schedule.receipt:
            raise NoReceipts(schedule)
        report = await receipts.report(session, schedule, scope.units_for(schedule))
        sent = await receipts.was_sent(session, schedule.id)
        view = ReceiptView(schedule, report, scope, sent)
        if view.waiting_for_send:
            view = ReceiptView(schedule, report, scope, sent, await receipts.planned_count(session, schedule))
        return view

    async def sheet(self, actor: Actor, schedule_id: int) -> ReceiptSheet:
        """The report as one row per person, for a download (the console) or a file (``export``)."""
        view = await self.report(actor, schedule_id)
        return ReceiptSheet(view, receipts.EXPORT_HEADERS, receipts.export_rows(view.report, self.policy.tz))

    async def export(self, actor: Actor, schedule_id: int, path: Path) -> int:
        """Write the report to a .csv or .xlsx file (the shared sheet writer); returns the rows written."""
        if path.suffix.lower() not in EXPORT_SUFFIXES:
            raise sched.ScheduleError("导出文件的扩展名应为 .csv 或 .xlsx")
        sheet = await self.sheet(actor, schedule_id)
        write_table(path, "回执", sheet.headers, sheet.rows)
        return len(sheet.rows)

    async def nudge(self, actor: Actor, schedule_id: int) -> Nudged:
        """催办: remind again only the people who have not confirmed (an organizer: in their units)."""
        now = self.bot.clock.now()
        async with (
            refusals_audited(self.bot, actor, "receipt.nudge", schedule_id),
            self.bot.db() as session,
            session.begin(),
        ):
            view = await self._view(session, actor, schedule_id)
            rep = view.report
            if not rep.members_known:
                return Nudged(view.schedule, Nudge.GROUP_ONLY, scoped=rep.scoped)
            if not rep.waiting:
                return Nudged(view.schedule, Nudge.ALL_CONFIRMED, scoped=rep.scoped)
            only = {x.user_id for x in rep.waiting} if rep.scoped else None
            fire = Fire(now, "rereminder")
            channels = list(self.bot.channels)
            count = await expand_fire(session, view.schedule, fire, now, self.policy, channels, only=only)
            actor.audit(session, now, "receipt.nudge", "ok", subject=str(schedule_id), detail=f"{count} recipients")
        return Nudged(view.schedule, Nudge.SENT, count, rep.scoped)
