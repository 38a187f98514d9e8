"""Staff administration: admins only, every change audited, typed records back."""

from __future__ import annotations

from sqlalchemy import select

from bot.access import Access
from bot.actor import Actor, NotPermitted
from bot.roles import Role
from bot.staff import StaffInput
from bot.staff_service import Invalid, Saved, StaffRecord, change_role, people, save_person, set_identities
from bot.storage.models import AuditEntry

ADMIN = Actor(Access("boss", Role.ADMIN), "console")
ORGANIZER = Actor(Access("org", Role.ORGANIZER), "console")


async def _audit(bot) -> list[tuple[str, str, str]]:
    async with bot.db() as session:
        return [
            (r.actor, r.action, r.outcome) for r in await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]


async def test_an_admin_adds_changes_and_lists_people(bot):
    saved = await save_person(
        bot, ADMIN, StaffInput("zs", "张三", identities=(("wecom", "ZhangSan"),), cadre_id="A404")
    )
    assert isinstance(saved, Saved) and saved.created and saved.cadre_missing
    assert saved.person.identities == (("wecom", "ZhangSan"),)
    assert await change_role(bot, ADMIN, "zs", Role.ORGANIZER) == Invalid(
        "组织员（organizer）必须指定管理的单位范围（--scope 单位编码）"
    )
    person = await change_role(bot, ADMIN, "zs", Role.ORGANIZER, "U01")
    assert isinstance(person, StaffRecord) and (person.role, person.unit_scope) == (Role.ORGANIZER, "U01")
    person = await set_identities(bot, ADMIN, "zs", {"wecom": "", "feishu": "ou_1"})
    assert isinstance(person, StaffRecord) and person.identities == (("feishu", "ou_1"),)
    listed = await people(bot, ADMIN)
    assert isinstance(listed, list) and [p.user_id for p in listed] == ["zs"]
    assert [a for _, a, _ in await _audit(bot)] == ["staff.save", "staff.role", "staff.identities"]


async def test_an_account_belongs_to_one_person(bot):
    await save_person(bot, ADMIN, StaffInput("zs", "张三", identities=(("wecom", "ZS"),)))
    await save_person(bot, ADMIN, StaffInput("ls", "李四"))
    assert await set_identities(bot, ADMIN, "ls", {"wecom": "ZS"}) == Invalid("wecom:ZS 已绑定给其他人员")
    assert await set_identities(bot, ADMIN, "ls", {"slack": "x"}) == Invalid(
        "未知的平台 'slack'，可选：wecom、dingtalk、feishu"
    )
    assert await set_identities(bot, ADMIN, "nobody", {"wecom": "x"}) == Invalid("没有用户 nobody")


async def test_only_admins_manage_staff_and_refusals_are_audited(bot):
    assert await save_person(bot, ORGANIZER, StaffInput("me", "我", Role.ADMIN)) == NotPermitted(
        "staff.save", Role.ADMIN
    )
    assert await change_role(bot, ORGANIZER, "me", Role.ADMIN) == NotPermitted("staff.role", Role.ADMIN)
    assert await people(bot, ORGANIZER) == NotPermitted("staff.list", Role.ADMIN)
    assert await people(bot, ADMIN) == []
    assert await _audit(bot) == [
        ("org", "staff.save", "denied"),
        ("org", "staff.role", "denied"),
        ("org", "staff.list", "denied"),
    ]
