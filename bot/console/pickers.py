"""The recipient picker's choices: what this person may push to, in the words chat accepts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.access import Access
from bot.cadres.units import unit_names
from bot.roles import Role
from bot.storage.models import Staff

if TYPE_CHECKING:
    from bot.app import OrgBot

MAX_PEOPLE = 300


@dataclass(frozen=True)
class Choice:
    token: str  # what goes into the 对象 field, e.g. "单位:U01"
    label: str


@dataclass(frozen=True)
class Choices:
    units: list[Choice]
    roles: list[Choice]
    people: list[Choice]
    more_people: bool


async def recipient_choices(bot: OrgBot, access: Access) -> Choices:
    """Organizers are offered their own units and the people in them; roles and 全体 are for admins
    (the scheduling service refuses anything else anyway: the picker only saves typing)."""
    async with bot.db() as session:
        names = await unit_names(session, None if access.is_admin else set(access.units))
        people = select(Staff.user_id, Staff.name).where(Staff.active.is_(True)).order_by(Staff.user_id)
        if not access.is_admin:
            people = people.where(Staff.unit.in_(sorted(access.units)))
        staff = list((await session.execute(people.limit(MAX_PEOPLE + 1))).all())
    units = [Choice(f"单位:{code}", f"{name}（{code}）") for code, name in sorted(names.items())]
    roles = (
        [Choice("全体", "全体人员")]
        + [Choice(f"角色:{r.label}", f"全体{r.label}") for r in (Role.STAFF, Role.ORGANIZER, Role.ADMIN)]
        if access.is_admin
        else []
    )
    shown = [Choice(f"@{uid}", f"{name}（{uid}）") for uid, name in staff[:MAX_PEOPLE]]
    return Choices(units, roles, shown, len(staff) > MAX_PEOPLE)
