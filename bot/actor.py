"""Who asks a feature service to act, and through which front end: what permissions and the audit need.

Every service (cadre lookups and data, staff, audit, knowledge administration) takes an
``Actor`` first, so chat, the CLI and the admin console are checked and audited alike.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import Access
from bot.audit_trail import AuditRecord, write
from bot.roles import Role

if TYPE_CHECKING:
    from bot.app import OrgBot

CLI_CHANNEL = "cli"
DENIED = "denied"


@dataclass(frozen=True)
class NotPermitted:
    """A service refused: ``action`` needs at least ``needed``; the refusal is in the audit log."""

    action: str
    needed: Role


@dataclass(frozen=True)
class Actor:
    """The person (their role and unit scope) and where the request came from."""

    access: Access
    channel: str
    chat_id: str = ""
    # What the audit row names as the role; the CLI writes "cli" (whoever holds the server's shell).
    audit_role: str | None = None

    @property
    def user_id(self) -> str:
        return self.access.user_id

    @property
    def role(self) -> Role:
        return self.access.role

    @property
    def is_admin(self) -> bool:
        return self.access.is_admin

    def may(self, needed: Role) -> bool:
        return self.access.role >= needed

    def record(
        self, action: str, outcome: str, *, query: str = "", subject: str | None = None, detail: str = ""
    ) -> AuditRecord:
        return AuditRecord(
            actor=self.access.user_id,
            actor_role=self.audit_role or self.access.role.name.lower(),
            channel=self.channel,
            chat_id=self.chat_id,
            action=action,
            outcome=outcome,
            query=query,
            subject=subject,
            detail=detail,
        )

    def audit(
        self,
        session: AsyncSession,
        at: datetime,
        action: str,
        outcome: str,
        *,
        query: str = "",
        subject: str | None = None,
        detail: str = "",
    ) -> None:
        """Add the audit row to the caller's transaction, so it commits with the work it records."""
        write(session, at, self.record(action, outcome, query=query, subject=subject, detail=detail))


async def audit_alone(bot: OrgBot, record: AuditRecord) -> None:
    """The audit row in a transaction of its own: for work outside the database (a file written) or a refusal."""
    async with bot.db() as session, session.begin():
        write(session, bot.clock.now(), record)


def cli_actor() -> Actor:
    """Whoever runs ``orgbot`` on the server has the database anyway: an admin, audited by login name."""
    try:
        name = getpass.getuser()
    except Exception:
        name = "unknown"
    return Actor(Access(f"cli:{name}", Role.ADMIN), CLI_CHANNEL, audit_role="cli")
