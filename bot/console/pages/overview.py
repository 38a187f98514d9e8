"""概览: what needs attention today, read from the scheduling, receipts, knowledge and outbox services."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from importlib.metadata import PackageNotFoundError, version

from aiohttp import web
from sqlalchemy import func, select

from bot.console.routes import RouteTable
from bot.console.visit import Visit
from bot.roles import Role
from bot.scheduling import outbox, receipts
from bot.scheduling.models import Schedule, SchedulerLease

routes = RouteTable()


def _version() -> str:
    try:
        return version("orgbot")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "未安装"


@routes.get("/")
async def overview(v: Visit) -> web.StreamResponse:
    now = v.now()
    local = now.astimezone(v.tz)
    day_end = datetime.combine(local.date() + timedelta(days=1), time.min, tzinfo=v.tz)
    week_end = datetime.combine(local.date() + timedelta(days=7 - local.weekday()), time.min, tzinfo=v.tz)
    upcoming = (
        select(Schedule)
        .where(Schedule.status == "active", Schedule.next_fire_at >= now, Schedule.next_fire_at < week_end)
        .order_by(Schedule.next_fire_at)
    )
    counting = select(func.count()).select_from(Schedule).where(Schedule.status == "active")
    if not v.access.is_admin:
        upcoming = upcoming.where(Schedule.created_by == v.user.user_id)
        counting = counting.where(Schedule.created_by == v.user.user_id)
    async with v.bot.db() as session:
        week = list(await session.scalars(upcoming.limit(12)))
        today_count = await session.scalar(
            counting.where(Schedule.next_fire_at >= now, Schedule.next_fire_at < day_end)
        )
        week_count = await session.scalar(
            counting.where(Schedule.next_fire_at >= now, Schedule.next_fire_at < week_end)
        )
        notices = [
            n
            for n in await receipts.overview(session, receipts.scope_for(v.access), limit=20)
            if n.expected and n.confirmed < n.expected
        ]
        queue = await outbox.count_by_status(session) if v.access.is_admin else {}
        lease = await session.get(SchedulerLease, v.bot.scheduling.leader.name)
    unanswered = (await (await v.bot.kb.get()).stats())["unanswered"] if v.access.is_admin else None
    calendar = v.bot.scheduling.policy.calendar
    leader_live = lease is not None and lease.expires_at is not None and lease.expires_at > now
    return v.render(
        "overview.html",
        week=week,
        today_count=today_count or 0,
        week_count=week_count or 0,
        notices=notices,
        queue=queue,
        unanswered=unanswered,
        leader=lease.holder if leader_live and lease is not None else "",
        this_node=v.bot.scheduling.node,
        is_leader=v.bot.scheduling.is_leader,
        version=_version(),
        years=[(y, calendar.knows_year(y)) for y in (local.year, local.year + 1)],
        Role=Role,
    )
