"""Who may see whose records: oneself (staff), one's unit subtree (organizers), everyone (admins)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, true
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cadres.models import Cadre
from bot.cadres.units import subtree_codes
from bot.handler import User
from bot.roles import Role


@dataclass(frozen=True)
class Viewer:
    """A user with their unit scope already expanded, so checks need no further queries."""

    user_id: str
    role: Role
    cadre_id: str | None
    scope_codes: frozenset[str]

    @property
    def sees_unmasked(self) -> bool:
        return self.role is Role.ADMIN


async def viewer_for(session: AsyncSession, user: User) -> Viewer:
    scope: frozenset[str] = frozenset()
    if user.role is Role.ORGANIZER and user.unit_scope:
        scope = frozenset(await subtree_codes(session, user.unit_scope))
    return Viewer(user.user_id, user.role, user.cadre_id, scope)


def can(viewer: Viewer, cadre: Cadre) -> bool:
    return can_see(viewer, cadre.cadre_id, cadre.unit_code)


def can_see(viewer: Viewer, cadre_id: str, unit_code: str) -> bool:
    """``can`` from the two columns it needs, so a check can run before the record is loaded."""
    if viewer.role is Role.ADMIN:
        return True
    if viewer.role is Role.ORGANIZER:
        return unit_code in viewer.scope_codes or cadre_id == viewer.cadre_id
    if viewer.role is Role.STAFF:
        return viewer.cadre_id is not None and cadre_id == viewer.cadre_id
    return False


def visible_clause(viewer: Viewer) -> ColumnElement[bool]:
    """The same rule as ``can`` as a WHERE clause, so searches never load what the viewer may not see."""
    if viewer.role is Role.ADMIN:
        return true()
    if viewer.role is Role.ORGANIZER:
        clause = Cadre.unit_code.in_(viewer.scope_codes) if viewer.scope_codes else false()
        return clause | (Cadre.cadre_id == viewer.cadre_id) if viewer.cadre_id else clause
    if viewer.role is Role.STAFF and viewer.cadre_id:
        return Cadre.cadre_id == viewer.cadre_id
    return false()
