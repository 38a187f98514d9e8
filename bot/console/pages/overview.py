"""概览: what needs attention today, read from the scheduling, receipts, knowledge and outbox services."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from importlib.metadata import PackageNotFoundError, version

from aiohttp import web

from bot import kb_admin
from bot.actor import Actor
from bot.console.routes import RouteTable
from bot.console.visit import Visit
from bot.scheduling import outbox
from bot.scheduling.models import SchedulerLease
from bot.scheduling.schedules import KIND_LABELS

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
    actor = Actor(v.access, "console")
    reminders = v.bot.scheduling.reminders
    week, week_count = await reminders.listing_page(actor, due_before=week_end, limit=12)
    _, today_count = await reminders.listing_page(actor, due_before=day_end, limit=0)
    notices = [n for n in await v.bot.scheduling.receipts.overview(actor) if n.expected and n.confirmed < n.expected]
    async with v.bot.db() as session:
        queue = await outbox.count_by_status(session) if v.access.is_admin else {}
        lease = await session.get(SchedulerLease, v.bot.scheduling.leader.name)
    stats = await kb_admin.overview(v.bot, actor) if v.access.is_admin else None
    calendar = v.bot.scheduling.policy.calendar
    leader_live = lease is not None and lease.expires_at is not None and lease.expires_at > now
    return v.render(
        "overview.html",
        week=week,
        today_count=today_count,
        week_count=week_count,
        notices=notices,
        queue=queue,
        unanswered=stats["unanswered"] if isinstance(stats, dict) else None,
        leader=lease.holder if leader_live and lease is not None else "",
        this_node=v.bot.scheduling.node,
        version=_version(),
        years=[(y, calendar.knows_year(y)) for y in (local.year, local.year + 1)],
        kinds=KIND_LABELS,
    )
