"""Staff members and their channel identities: the people the bot knows and their roles."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.roles import Role
from bot.storage.models import Identity, Staff

USER_ID_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
KNOWN_CHANNELS = ("wecom", "dingtalk", "feishu")


class StaffError(ValueError):
    pass


@dataclass(frozen=True)
class StaffInput:
    user_id: str
    name: str
    role: Role = Role.STAFF
    unit_scope: str | None = None
    cadre_id: str | None = None
    identities: tuple[tuple[str, str], ...] = ()
    unit: str | None = None

    def validate(self) -> None:
        if not USER_ID_RE.match(self.user_id):
            raise StaffError(f"用户 ID {self.user_id!r} 只能包含字母、数字和 _ . @ -，最长 64 位")
        if not self.name.strip():
            raise StaffError("姓名不能为空")
        if self.role is Role.GUEST:
            raise StaffError("不能把工作人员设为访客；要停用请用 staff set-role … 或删除")
        if self.role is Role.ORGANIZER and not self.unit_scope:
            raise StaffError("组织员（organizer）必须指定管理的单位范围（--scope 单位编码）")
        for channel, _uid in self.identities:
            if channel not in KNOWN_CHANNELS:
                raise StaffError(f"未知的平台 {channel!r}，可选：{'、'.join(KNOWN_CHANNELS)}")


def parse_identity(text: str) -> tuple[str, str]:
    channel, sep, uid = text.partition(":")
    if not sep or not uid.strip():
        raise StaffError(f"平台账号应写成 平台:账号，如 wecom:zhangsan，而不是 {text!r}")
    return channel.strip().lower(), uid.strip()


async def upsert_staff(session: AsyncSession, data: StaffInput) -> tuple[Staff, bool]:
    """Create or update by user_id; returns (staff, created). Caller owns the transaction."""
    data.validate()
    staff = await session.scalar(
        select(Staff).options(selectinload(Staff.identities)).where(Staff.user_id == data.user_id)
    )
    created = staff is None
    if staff is None:
        staff = Staff(user_id=data.user_id, name=data.name, role=data.role.name.lower(), identities=[])
        session.add(staff)
    staff.name = data.name.strip()
    staff.role = data.role.name.lower()
    staff.unit = data.unit or None
    staff.unit_scope = data.unit_scope or None
    staff.cadre_id = data.cadre_id or None
    staff.active = True
    for channel, uid in data.identities:
        taken = await session.scalar(
            select(Identity).where(Identity.channel == channel, Identity.platform_user_id == uid)
        )
        if taken is not None and taken.staff_id != staff.id:
            raise StaffError(f"{channel}:{uid} 已绑定给其他人员")
        if taken is None:
            staff.identities.append(Identity(channel=channel, platform_user_id=uid))
    await session.flush()
    return staff, created


async def set_role(session: AsyncSession, user_id: str, role: Role, unit_scope: str | None = None) -> Staff:
    staff = await session.scalar(select(Staff).where(Staff.user_id == user_id))
    if staff is None:
        raise StaffError(f"没有用户 {user_id}")
    if role is Role.ORGANIZER and not (unit_scope or staff.unit_scope):
        raise StaffError("组织员（organizer）必须指定管理的单位范围（--scope 单位编码）")
    staff.role = role.name.lower()
    if unit_scope is not None:
        staff.unit_scope = unit_scope or None
    await session.flush()
    return staff


async def rebind_identities(session: AsyncSession, user_id: str, accounts: dict[str, str]) -> Staff:
    """Replace the person's account on each channel named (``""`` unbinds); an account is one person's."""
    staff = await session.scalar(select(Staff).options(selectinload(Staff.identities)).where(Staff.user_id == user_id))
    if staff is None:
        raise StaffError(f"没有用户 {user_id}")
    for channel, uid in accounts.items():
        for ident in [i for i in staff.identities if i.channel == channel and i.platform_user_id != uid]:
            staff.identities.remove(ident)
        if not uid or any(i.channel == channel for i in staff.identities):
            continue
        taken = await session.scalar(
            select(Identity).where(Identity.channel == channel, Identity.platform_user_id == uid)
        )
        if taken is not None:
            raise StaffError(f"{channel}:{uid} 已绑定给其他人员")
        staff.identities.append(Identity(channel=channel, platform_user_id=uid))
    await session.flush()
    return staff


async def list_staff(session: AsyncSession) -> list[Staff]:
    return list(await session.scalars(select(Staff).options(selectinload(Staff.identities)).order_by(Staff.user_id)))


async def cadre_on_file(session: AsyncSession, cadre_id: str) -> bool:
    """Whether the cadre register holds this ID: a typo would leave /我的培训 empty with no clue why."""
    from bot.cadres.models import Cadre

    return await session.get(Cadre, cadre_id) is not None
