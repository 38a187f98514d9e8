"""Roles, ordered by what they may do."""

from __future__ import annotations

from enum import IntEnum


class Role(IntEnum):
    GUEST = 0
    STAFF = 1
    ORGANIZER = 2
    ADMIN = 3

    @classmethod
    def parse(cls, text: str) -> Role:
        key = text.strip().lower()
        for role in cls:
            if role.name.lower() == key or ROLE_LABELS[role] == text.strip():
                return role
        raise ValueError(f"未知角色 {text!r}，可选：staff、organizer、admin")

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.GUEST: "访客",
    Role.STAFF: "工作人员",
    Role.ORGANIZER: "组织员",
    Role.ADMIN: "管理员",
}
