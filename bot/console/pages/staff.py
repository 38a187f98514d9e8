"""人员与权限 (admins only): staff, their IM identities, roles and unit scopes; the staff sheet import."""

from __future__ import annotations

from aiohttp import web

from bot.console.routes import RouteTable
from bot.console.visit import Visit
from bot.roles import Role
from bot.staff import list_staff

routes = RouteTable()


@routes.get("/staff", role=Role.ADMIN)
async def staff_list(v: Visit) -> web.StreamResponse:
    async with v.bot.db() as session:
        people = await list_staff(session)
        pager = v.pager(len(people))
        shown = [
            (s, Role.parse(s.role).label, [f"{i.channel}:{i.platform_user_id}" for i in s.identities])
            for s in people[pager.offset : pager.offset + pager.size]
        ]
    return v.render("staff.html", people=shown, pager=pager)
