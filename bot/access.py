"""What a person may reach: their role and the units they manage, worked out once per message.

Cadre lookups, reminder targets and receipt reports all ask the same two questions (is this
person an admin; is this unit inside the organizer's scope), so the answer is computed once,
when the sender is identified, and handed to every feature on ``ctx.access``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cadres.units import subtree_codes
from bot.handler import User
from bot.roles import Role


@dataclass(frozen=True)
class Access:
    user_id: str
    role: Role
    cadre_id: str | None = None
    unit_scope: str | None = None  # the organizer's top unit, as configured
    units: frozenset[str] = frozenset()  # that unit and everything below it

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def sees_unmasked(self) -> bool:
        """Only admins see ID numbers, phones and birth dates in full."""
        return self.is_admin

    @property
    def is_organizer(self) -> bool:
        return self.role is Role.ORGANIZER


async def units_of(session: AsyncSession, role: Role, unit_scope: str | None) -> frozenset[str]:
    """An organizer's units: their unit and everything below it (others need none)."""
    if role is Role.ORGANIZER and unit_scope:
        return frozenset(await subtree_codes(session, unit_scope))
    return frozenset()


async def access_for(session: AsyncSession, user: User) -> Access:
    units = await units_of(session, user.role, user.unit_scope)
    return Access(user.user_id, user.role, user.cadre_id, user.unit_scope, units)
