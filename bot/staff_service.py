"""Staff administration as one service: who the bot knows, their role, unit scope and IM accounts.

``orgbot staff`` and the admin console call it; roles decide who may read personal data, so
only admins change them and every change leaves an audit row (``staff.save``, ``staff.role``,
``staff.identities``). A sheet of staff is imported through ``bot.cadres.data_service``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.actor import DENIED, Actor, NotPermitted, audit_alone
from bot.roles import Role
from bot.staff import (
    KNOWN_CHANNELS,
    StaffError,
    StaffInput,
    cadre_on_file,
    list_staff,
    rebind_identities,
    set_role,
    upsert_staff,
)
from bot.storage.models import Staff

if TYPE_CHECKING:
    from bot.app import OrgBot

STAFF_ROLE = Role.ADMIN


@dataclass(frozen=True)
class StaffRecord:
    user_id: str
    name: str
    role: Role
    unit: str | None
    unit_scope: str | None
    cadre_id: str | None
    identities: tuple[tuple[str, str], ...]  # (channel, account on that platform)
    active: bool


@dataclass(frozen=True)
class Saved:
    """``cadre_missing``: the cadre ID given is not in the register yet (a typo, or not imported)."""

    person: StaffRecord
    created: bool
    cadre_missing: bool = False


@dataclass(frozen=True)
class Invalid:
    """The request was wrong; ``message`` says how, for the person who typed it."""

    message: str


def _record(staff: Staff) -> StaffRecord:
    return StaffRecord(
        user_id=staff.user_id,
        name=staff.name,
        role=Role.parse(staff.role),
        unit=staff.unit,
        unit_scope=staff.unit_scope,
        cadre_id=staff.cadre_id,
        identities=tuple((i.channel, i.platform_user_id) for i in staff.identities),
        active=staff.active,
    )


async def _refuse(bot: OrgBot, actor: Actor, action: str, subject: str = "") -> NotPermitted:
    await audit_alone(bot, actor.record(action, DENIED, query=subject))
    return NotPermitted(action, STAFF_ROLE)


async def people(bot: OrgBot, actor: Actor) -> list[StaffRecord] | NotPermitted:
    if not actor.may(STAFF_ROLE):
        return await _refuse(bot, actor, "staff.list")
    async with bot.db() as session:
        return [_record(s) for s in await list_staff(session)]


async def save_person(bot: OrgBot, actor: Actor, data: StaffInput) -> Saved | Invalid | NotPermitted:
    """Add a person, or update one with the same user ID; IM accounts given are bound to them."""
    action = "staff.save"
    if not actor.may(STAFF_ROLE):
        return await _refuse(bot, actor, action, data.user_id)
    try:
        async with bot.db() as session, session.begin():
            staff, created = await upsert_staff(session, data)
            missing = bool(data.cadre_id) and not await cadre_on_file(session, data.cadre_id or "")
            detail = f"role={staff.role} scope={staff.unit_scope or ''} cadre={staff.cadre_id or ''}"
            actor.audit(
                session, bot.clock.now(), action, "created" if created else "updated", query=data.user_id, detail=detail
            )
            saved = Saved(_record(staff), created, missing)
    except StaffError as exc:
        return Invalid(str(exc))
    return saved


async def change_role(
    bot: OrgBot, actor: Actor, user_id: str, role: Role, unit_scope: str | None = None
) -> StaffRecord | Invalid | NotPermitted:
    """Set the role and, for organizers, the unit scope (``""`` clears it; None keeps it)."""
    action = "staff.role"
    if not actor.may(STAFF_ROLE):
        return await _refuse(bot, actor, action, user_id)
    try:
        async with bot.db() as session, session.begin():
            staff = await set_role(session, user_id, role, unit_scope)
            await session.refresh(staff, ["identities"])
            detail = f"role={staff.role} scope={staff.unit_scope or ''}"
            actor.audit(session, bot.clock.now(), action, "ok", query=user_id, detail=detail)
            record = _record(staff)
    except StaffError as exc:
        return Invalid(str(exc))
    return record


async def set_identities(
    bot: OrgBot, actor: Actor, user_id: str, accounts: dict[str, str]
) -> StaffRecord | Invalid | NotPermitted:
    """Bind (or, with ``""``, unbind) the person's account on each channel named; others stay."""
    action = "staff.identities"
    if not actor.may(STAFF_ROLE):
        return await _refuse(bot, actor, action, user_id)
    unknown = sorted(set(accounts) - set(KNOWN_CHANNELS))
    if unknown:
        return Invalid(f"未知的平台 {unknown[0]!r}，可选：{'、'.join(KNOWN_CHANNELS)}")
    try:
        async with bot.db() as session, session.begin():
            staff = await rebind_identities(session, user_id, accounts)
            detail = ",".join(f"{ch}:{uid}" for ch, uid in sorted(accounts.items()))
            actor.audit(session, bot.clock.now(), action, "ok", query=user_id, detail=detail)
            record = _record(staff)
    except StaffError as exc:
        return Invalid(str(exc))
    return record
