"""The recipient picker's choices: what this person may push to, in the words chat accepts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.access import Access
from bot.cadres.units import unit_names
from bot.roles import Role
from bot.scheduling.models import Schedule
from bot.scheduling.targets import load_targets
from bot.storage.models import Staff

if TYPE_CHECKING:
    from bot.app import OrgBot

MAX_PEOPLE = 300
MAX_GROUPS = 100


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
    groups: list[Choice]


async def recipient_choices(bot: OrgBot, access: Access) -> Choices:
    """Organizers are offered their own units and the people in them; roles, 全体 and group chats are for
    admins (the scheduling service refuses anything else anyway: the picker only saves typing). The
    group chats offered are those schedules already push to: the bot has no list of IM groups."""
    async with bot.db() as session:
        names = await unit_names(session, None if access.is_admin else set(access.units))
        people = select(Staff.user_id, Staff.name).where(Staff.active.is_(True)).order_by(Staff.user_id)
        if not access.is_admin:
            people = people.where(Staff.unit.in_(sorted(access.units)))
        staff = list((await session.execute(people.limit(MAX_PEOPLE + 1))).all())
        group_targets: list[str] = []
        if access.is_admin:
            with_groups = select(Schedule.targets).where(Schedule.targets.like('%"kind": "group"%'))
            group_targets = list(await session.scalars(with_groups.order_by(Schedule.id.desc()).limit(MAX_GROUPS)))
    groups = sorted(
        {
            Choice(f"群:{spec.channel}:{spec.value}", spec.label())
            for text in group_targets
            for spec in load_targets(text)
            if spec.kind == "group"
        },
        key=lambda c: c.token,
    )
    units = [Choice(f"单位:{code}", f"{name}（{code}）") for code, name in sorted(names.items())]
    roles = (
        [Choice("全体", "全体人员")]
        + [Choice(f"角色:{r.label}", f"全体{r.label}") for r in (Role.STAFF, Role.ORGANIZER, Role.ADMIN)]
        if access.is_admin
        else []
    )
    shown = [Choice(f"@{uid}", f"{name}（{uid}）") for uid, name in staff[:MAX_PEOPLE]]
    return Choices(units, roles, shown, len(staff) > MAX_PEOPLE, groups)
