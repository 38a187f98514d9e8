"""Who acts on reminders, notices and receipts (``bot.actor.Actor``), and what a refusal is.

Chat, the CLI and the console hand the application layer an ``Actor``: the person's role and
unit scope (``bot.access.Access``) and where they act from, which the audit row records.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import Access, units_of
from bot.actor import CLI_CHANNEL, DENIED, Actor, audit_alone
from bot.roles import Role
from bot.scheduling.schedules import ScheduleError

if TYPE_CHECKING:
    from bot.app import OrgBot

__all__ = ["Actor", "Refusal", "Refused", "operator", "refusals_audited", "units"]


def operator(user_id: str) -> Actor:
    """Someone at the server's command line (``--by`` names them): they run the deployment, so an admin."""
    return Actor(Access(user_id, Role.ADMIN), CLI_CHANNEL, audit_role="cli")


async def units(session: AsyncSession, actor: Actor) -> frozenset[str]:
    """The units an organizer manages (their unit and all below it); admins need none."""
    access = actor.access
    return access.units or await units_of(session, access.role, access.unit_scope)


class Refusal(StrEnum):
    NOT_OWNER = "not_owner"  # an organizer and someone else's schedule
    NOT_VISIBLE = "not_visible"  # receipts of a notice neither theirs nor reaching their units
    EVERYONE = "everyone"  # an organizer pushing to 全体 or a whole role
    GROUP = "group"  # an organizer pushing to a group chat
    UNIT = "unit"  # a unit outside the organizer's scope
    PERSON = "person"  # a person outside the organizer's scope


class Refused(ScheduleError):
    """The actor may not do this. Every refusal is audited (outcome ``denied``, detail the reason)."""

    def __init__(self, reason: Refusal, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@asynccontextmanager
async def refusals_audited(bot: OrgBot, actor: Actor, action: str, subject: int | None = None) -> AsyncIterator[None]:
    """A refusal leaves its own audit row (the refused work's transaction is rolled back).

    Enter it before the work's session, so that session is closed when the row is written.
    """
    try:
        yield
    except Refused as exc:
        where = None if subject is None else str(subject)
        await audit_alone(bot, actor.record(action, DENIED, subject=where, detail=exc.reason))
        raise
