"""Demo schedules are created once; the scheduling migration goes down and up again cleanly."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.scheduling import record_alerts
from bot.scheduling.demo import seed_demo
from bot.scheduling.models import Schedule
from bot.storage import migrate
from bot.storage.db import create_engine
from tests.conftest import say
from tests.scheduling.conftest import local


async def test_demo_seed_is_idempotent_and_shows_in_the_list(clocked):
    from bot.demo import seed

    bot, _ = await clocked(local(2026, 11, 28, 10, 0))
    await seed(bot)
    await seed_demo(bot)
    await seed_demo(bot)
    await record_alerts.seed_demo(bot)
    async with bot.db() as session:
        # Three demo pushes, three 学时预警 checkpoints and two 后备干部复核 checkpoints.
        assert await session.scalar(select(func.count()).select_from(Schedule)) == 8
    listing = await say(bot, "demo_admin", "/提醒 列表")
    assert "三会一课" in listing and "七一表彰推荐" in listing and "演示：支部党员大会" in listing


async def test_scheduling_migration_downgrades_and_upgrades(db_url):
    engine = create_engine(db_url)
    try:
        await migrate.downgrade(engine, "0003_cadres")
        assert await migrate.current_revision(engine) == "0003_cadres"
        await migrate.upgrade(engine, "0004_scheduling")
        assert await migrate.current_revision(engine) == "0004_scheduling"
    finally:
        await engine.dispose()
