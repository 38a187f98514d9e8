"""Who may see whose records: oneself (staff), one's unit subtree (organizers), everyone (admins)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true

from bot.access import Access, access_for
from bot.cadres.models import Cadre
from bot.roles import Role

# The viewer of a record is the person's Access, worked out once per message (bot/access.py).
Viewer = Access
viewer_for = access_for


def can(viewer: Viewer, cadre: Cadre) -> bool:
    return can_see(viewer, cadre.cadre_id, cadre.unit_code)


def can_see(viewer: Viewer, cadre_id: str, unit_code: str) -> bool:
    """``can`` from the two columns it needs, so a check can run before the record is loaded."""
    if viewer.role is Role.ADMIN:
        return True
    if viewer.role is Role.ORGANIZER:
        return unit_code in viewer.units or cadre_id == viewer.cadre_id
    if viewer.role is Role.STAFF:
        return viewer.cadre_id is not None and cadre_id == viewer.cadre_id
    return False


def visible_clause(viewer: Viewer) -> ColumnElement[bool]:
    """The same rule as ``can`` as a WHERE clause, so searches never load what the viewer may not see."""
    if viewer.role is Role.ADMIN:
        return true()
    if viewer.role is Role.ORGANIZER:
        clause = Cadre.unit_code.in_(viewer.units) if viewer.units else false()
        return clause | (Cadre.cadre_id == viewer.cadre_id) if viewer.cadre_id else clause
    if viewer.role is Role.STAFF and viewer.cadre_id:
        return Cadre.cadre_id == viewer.cadre_id
    return false()
