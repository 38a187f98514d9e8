"""人员与权限 (admins only): staff, their IM identities, roles and unit scopes; role changes; the staff sheet
import (on the 干部数据 import, which reads every sheet kind). All through bot/staff_service.py."""

from __future__ import annotations

from aiohttp import web

from bot import staff_service
from bot.actor import Actor, NotPermitted
from bot.console.routes import RouteTable
from bot.console.visit import Visit
from bot.roles import Role
from bot.staff import KNOWN_CHANNELS

routes = RouteTable()

ROLE_CHOICES = (Role.STAFF, Role.ORGANIZER, Role.ADMIN)


@routes.get("/staff", role=Role.ADMIN)
async def staff_list(v: Visit) -> web.StreamResponse:
    people = await staff_service.people(v.bot, Actor(v.access, "console"))
    if isinstance(people, NotPermitted):
        raise v.not_permitted(people)
    pager = v.pager(len(people))
    return v.render(
        "staff.html",
        people=people[pager.offset : pager.offset + pager.size],
        pager=pager,
        roles=ROLE_CHOICES,
        channels=KNOWN_CHANNELS,
    )


@routes.post("/staff/role", role=Role.ADMIN, action="staff.role")
async def staff_role(v: Visit) -> web.StreamResponse:
    user_id = v.field("user_id")
    try:
        role = Role.parse(v.field("role"))
    except ValueError as exc:
        return v.redirect("/admin/staff", v.invalid(str(exc)))
    scope = v.field("scope") if role is Role.ORGANIZER else ""
    result = await staff_service.change_role(v.bot, Actor(v.access, "console"), user_id, role, scope)
    if isinstance(result, NotPermitted):
        raise v.not_permitted(result)
    if isinstance(result, staff_service.Invalid):
        return v.redirect("/admin/staff", v.invalid(result.message))
    v.audited = True
    scope_text = f"（管理单位 {result.unit_scope}）" if result.unit_scope else ""
    return v.redirect("/admin/staff", f"已将 {result.user_id} {result.name} 设为{result.role.label}{scope_text}")


@routes.post("/staff/identities", role=Role.ADMIN, action="staff.identities")
async def staff_identities(v: Visit) -> web.StreamResponse:
    """Every platform's account as the form shows it: an emptied field unbinds that platform."""
    user_id = v.field("user_id")
    accounts = {channel: v.field(channel).strip() for channel in KNOWN_CHANNELS}
    result = await staff_service.set_identities(v.bot, Actor(v.access, "console"), user_id, accounts)
    if isinstance(result, NotPermitted):
        raise v.not_permitted(result)
    if isinstance(result, staff_service.Invalid):
        return v.redirect("/admin/staff", v.invalid(result.message))
    v.audited = True
    bound = "、".join(f"{ch}:{uid}" for ch, uid in result.identities) or "无"
    return v.redirect("/admin/staff", f"已更新 {result.user_id} {result.name} 的企业 IM 账号：{bound}")
