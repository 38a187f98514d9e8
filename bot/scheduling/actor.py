"""Who acts on reminders, notices and receipts, what a refusal is, and the audit row each leaves.

Chat, the CLI and the console hand the application layer an ``Actor``: the person's role and
unit scope (``bot.access.Access``) and where they act from, which the audit row records.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import Access, units_of
from bot.audit_trail import AuditRecord
from bot.audit_trail import write as write_audit
from bot.roles import Role
from bot.scheduling.schedules import ScheduleError

if TYPE_CHECKING:
    from bot.app import OrgBot
    from bot.handler import Context


@dataclass(frozen=True)
class Actor:
    """Who acts, with their role and unit scope, and where from (for the audit row)."""

    access: Access
    channel: str
    chat_id: str = ""

    @property
    def user_id(self) -> str:
        return self.access.user_id

    @property
    def is_admin(self) -> bool:
        return self.access.role >= Role.ADMIN

    @classmethod
    def operator(cls, user_id: str, channel: str = "cli") -> Actor:
        """Someone at the server's command line: they run the deployment, so they act as an admin."""
        return cls(Access(user_id, Role.ADMIN), channel)

    @classmethod
    def of(cls, ctx: Context) -> Actor:
        """The sender of a chat message (``ctx.access`` when the dispatcher worked it out)."""
        access = ctx.access or Access(ctx.user.user_id, ctx.user.role, ctx.user.cadre_id, ctx.user.unit_scope)
        return cls(access, ctx.message.channel, ctx.message.chat_id)

    async def units(self, session: AsyncSession) -> frozenset[str]:
        """The units an organizer manages (their unit and all below it); admins need none."""
        access = self.access
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


def record(
    actor: Actor, action: str, outcome: str, subject: str | None, query: str = "", detail: str = ""
) -> AuditRecord:
    return AuditRecord(
        actor=actor.user_id,
        actor_role=actor.access.role.name.lower(),
        channel=actor.channel,
        chat_id=actor.chat_id,
        action=action,
        outcome=outcome,
        query=query,
        subject=subject,
        detail=detail,
    )


def audit(
    session: AsyncSession,
    at: datetime,
    actor: Actor,
    action: str,
    subject: str,
    *,
    query: str = "",
    detail: str = "",
) -> None:
    """The audit row of a change, in the change's own transaction."""
    write_audit(session, at, record(actor, action, "ok", subject, query, detail))


@asynccontextmanager
async def refusals_audited(bot: OrgBot, actor: Actor, action: str, subject: int | None = None) -> AsyncIterator[None]:
    """A refusal leaves its own audit row (the refused work's transaction is rolled back).

    Enter it before the work's session, so that session is closed when the row is written.
    """
    try:
        yield
    except Refused as exc:
        async with bot.db() as session, session.begin():
            row = record(actor, action, "denied", None if subject is None else str(subject), detail=exc.reason)
            write_audit(session, bot.clock.now(), row)
        raise
