"""Who a schedule reaches: group chats, people, roles and units, expanded to people at send time.

Roles and units are stored as such, not as a frozen list of names, so that someone
who joined a unit last week still gets this week's reminder.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cadres.units import subtree_codes
from bot.messages import Target
from bot.roles import Role
from bot.storage.models import Identity, Staff

log = logging.getLogger(__name__)

ALL_WORDS = {"全体", "所有人", "全部", "全体人员", "大家"}
SPLIT_RE = re.compile(r"[\s,，、;；]+")


class TargetError(ValueError):
    pass


@dataclass(frozen=True)
class TargetSpec:
    """``kind``: user (value = user_id), unit (value = unit code), role (value = role name), group, all."""

    kind: str
    value: str = ""
    channel: str = ""

    def to_dict(self) -> dict[str, str]:
        return {k: v for k, v in (("kind", self.kind), ("value", self.value), ("channel", self.channel)) if v}

    def label(self) -> str:
        if self.kind == "user":
            return self.value
        if self.kind == "unit":
            return f"单位 {self.value}（含下级）"
        if self.kind == "role":
            return f"全体{Role.parse(self.value).label}"
        if self.kind == "group":
            return f"群 {self.channel}:{self.value}"
        return "全体人员"


def dump_targets(specs: Iterable[TargetSpec]) -> str:
    return json.dumps([s.to_dict() for s in specs], ensure_ascii=False)


def load_targets(text: str) -> list[TargetSpec]:
    return [TargetSpec(**item) for item in json.loads(text)]


def describe_targets(specs: Iterable[TargetSpec], names: dict[str, str] | None = None) -> str:
    names = names or {}
    return "、".join(
        f"{names[s.value]}（{s.value}）" if s.kind == "user" and s.value in names else s.label() for s in specs
    )


async def parse_targets(session: AsyncSession, text: str) -> list[TargetSpec]:
    """``@zhangsan 张三 单位:U01 角色:组织员 群:wecom:CHATID 全体`` → specs; unknown names are errors."""
    specs: list[TargetSpec] = []
    tokens = [t for t in SPLIT_RE.split(text.strip()) if t]
    if not tokens:
        raise TargetError("请说明发给谁，例如“@zhangsan”“单位:U01”“角色:组织员”“群:wecom:群ID”或“全体”。")
    for token in tokens:
        token = token.lstrip("@＠")
        head, sep, rest = token.replace("：", ":").partition(":")
        rest = rest.strip()
        if token in ALL_WORDS:
            specs.append(TargetSpec("all"))
        elif sep and head in ("单位", "unit"):
            if not rest:
                raise TargetError("“单位:”后面要写单位编码，例如 单位:U01")
            specs.append(TargetSpec("unit", rest))
        elif (sep and head in ("角色", "role")) or token.startswith(("全体", "所有")):
            word = rest if sep else token[2:]
            try:
                role = Role.parse(word)
            except ValueError as exc:
                raise TargetError(f"未知角色“{word}”，可选：工作人员、组织员、管理员") from exc
            specs.append(TargetSpec("role", role.name.lower()))
        elif sep and head in ("群", "group"):
            channel, _, chat = rest.partition(":")
            if not chat:
                channel, chat = "local", rest
            if not chat:
                raise TargetError("群要写成 群:平台:群ID，例如 群:wecom:wrOgAAA")
            specs.append(TargetSpec("group", chat, channel))
        else:
            specs.append(TargetSpec("user", await _resolve_person(session, token)))
    return list(dict.fromkeys(specs))


async def _resolve_person(session: AsyncSession, token: str) -> str:
    staff = await session.scalar(select(Staff).where(Staff.user_id == token))
    if staff is not None:
        return staff.user_id
    named = list(await session.scalars(select(Staff).where(Staff.name == token, Staff.active.is_(True))))
    if len(named) == 1:
        return named[0].user_id
    if len(named) > 1:
        ids = "、".join(s.user_id for s in named)
        raise TargetError(f"有 {len(named)} 位“{token}”（{ids}），请用用户 ID 指明，例如 @{named[0].user_id}")
    raise TargetError(
        f"找不到人员“{token}”。可以写用户 ID（如 @zhangsan）、姓名、单位:编码、角色:组织员 或 群:平台:群ID。"
    )


@dataclass(frozen=True)
class Recipient:
    """One person (``person`` = staff user_id) or one group chat, and where to reach them."""

    person: str
    name: str
    target: Target

    @property
    def key(self) -> str:
        return f"p:{self.person}" if self.person else f"g:{self.target.key()}"


async def unit_codes(session: AsyncSession, code: str) -> set[str]:
    """The unit and its subtree (a code not in the unit tree stands for itself)."""
    return await subtree_codes(session, code)


async def expand(session: AsyncSession, specs: Iterable[TargetSpec], channels: Iterable[str]) -> list[Recipient]:
    """The people and chats behind the specs right now; each person once, on their IM if they have one."""
    available = [c for c in channels if c != "local"]
    people: dict[str, Staff] = {}
    groups: list[Recipient] = []
    for spec in specs:
        query = select(Staff).where(Staff.active.is_(True))
        if spec.kind == "user":
            query = query.where(Staff.user_id == spec.value)
        elif spec.kind == "unit":
            query = query.where(Staff.unit.in_(await unit_codes(session, spec.value)))
        elif spec.kind == "role":
            query = query.where(Staff.role == spec.value)
        elif spec.kind == "group":
            groups.append(Recipient("", spec.label(), Target(spec.channel, chat_id=spec.value)))
            continue
        for staff in await session.scalars(query.order_by(Staff.user_id)):
            people.setdefault(staff.user_id, staff)
    identities: dict[int, dict[str, str]] = {}
    if people and available:
        rows = await session.execute(
            select(Identity.staff_id, Identity.channel, Identity.platform_user_id).where(
                Identity.staff_id.in_([s.id for s in people.values()]), Identity.channel.in_(available)
            )
        )
        for staff_id, id_channel, uid in rows:
            identities.setdefault(staff_id, {})[id_channel] = uid
    out = list(groups)
    for staff in people.values():
        ids = identities.get(staff.id, {})
        channel = next((c for c in available if c in ids), None)
        target = Target(channel, user_id=ids[channel]) if channel else Target("local", user_id=staff.user_id)
        out.append(Recipient(staff.user_id, staff.name, target))
    return out
