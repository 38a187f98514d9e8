"""Who is speaking: map a channel's sender id to a staff member, or to a guest."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.auth.act_as import is_api_guest
from bot.handler import User
from bot.roles import Role
from bot.storage.models import Identity, Staff

# Channels where the sender id *is* the staff user_id: the terminal, the HTTP API, the web page.
LOCAL_CHANNELS = frozenset({"terminal", "http", "web", "local"})


def user_from_staff(staff: Staff) -> User:
    return User(
        user_id=staff.user_id,
        name=staff.name,
        role=Role.parse(staff.role),
        staff_id=staff.id,
        unit_scope=staff.unit_scope,
        cadre_id=staff.cadre_id,
    )


def guest(sender_id: str, name: str = "") -> User:
    return User(user_id=sender_id, name=name or "访客", role=Role.GUEST)


async def resolve_user(session: AsyncSession, channel: str, sender_id: str, sender_name: str = "") -> User:
    if channel in LOCAL_CHANNELS:
        if is_api_guest(sender_id):
            return guest(sender_id, sender_name)
        staff = await session.scalar(select(Staff).where(Staff.user_id == sender_id))
    else:
        staff = await session.scalar(
            select(Staff)
            .join(Identity, Identity.staff_id == Staff.id)
            .where(Identity.channel == channel, Identity.platform_user_id == sender_id)
        )
    if staff is None or not staff.active:
        return guest(sender_id, sender_name)
    return user_from_staff(staff)


async def platform_ids(session: AsyncSession, staff_user_id: str) -> dict[str, str]:
    """Where a staff member can be reached: channel → their id there (``local`` always)."""
    staff = await session.scalar(select(Staff).where(Staff.user_id == staff_user_id))
    if staff is None:
        return {}
    rows = await session.execute(
        select(Identity.channel, Identity.platform_user_id).where(Identity.staff_id == staff.id)
    )
    ids = {"local": staff.user_id}
    ids.update({channel: uid for channel, uid in rows})
    return ids
