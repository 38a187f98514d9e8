"""Demo schedules: a monthly 三会一课 reminder, next year's 七一 nominations, and a notice with receipts."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.scheduling import schedules as sched
from bot.scheduling.models import Schedule
from bot.scheduling.rules import Policy, Rule
from bot.scheduling.targets import TargetSpec
from bot.scheduling.templates import find_template

if TYPE_CHECKING:
    from bot.app import OrgBot

DEMO_ACTOR = "demo_admin"


async def seed_demo(bot: OrgBot) -> None:
    """Create the demo schedules once; running it again changes nothing."""
    policy = Policy.from_config(bot.config)
    now = bot.clock.now()
    local_now = now.astimezone(policy.tz)
    sanhui = find_template("sanhui_yike")
    qiyi = find_template("qiyi")
    assert sanhui is not None and qiyi is not None
    days_to_wednesday = (2 - local_now.weekday()) % 7 or 7
    meeting = (local_now + timedelta(days=days_to_wednesday)).replace(hour=15, minute=0, second=0, microsecond=0)
    drafts = [
        sched.ScheduleDraft(
            sanhui.name,
            sanhui.text,
            Rule("calendar", day="last_workday", time="16:00"),
            [TargetSpec("unit", "U0101")],
            template=sanhui.key,
        ),
        sched.ScheduleDraft(
            qiyi.name,
            qiyi.text,
            Rule("once", at=f"{local_now.year + 1}-05-25T17:30", deadline=True, ladder=qiyi.ladder),
            [TargetSpec("role", "organizer")],
            template=qiyi.key,
        ),
        sched.ScheduleDraft(
            "演示：支部党员大会",
            "地点：三楼会议室（演示数据）",
            Rule(
                "once",
                at=local_now.replace(tzinfo=None, microsecond=0).isoformat(),
                event_at=meeting.replace(tzinfo=None).isoformat(timespec="minutes"),
                rereminder_minutes=1440,
                shift="none",
            ),
            [TargetSpec("unit", "U0101"), TargetSpec("user", "demo_admin")],
            receipt=True,
        ),
    ]
    async with bot.db() as session, session.begin():
        existing = set(await session.scalars(select(Schedule.name).where(Schedule.status != "deleted")))
        for draft in drafts:
            if draft.name not in existing:
                await sched.create(session, draft, DEMO_ACTOR, now - timedelta(seconds=1), policy)
