"""The demo: the preview of each checkpoint says who would be told; 立即发送 then delivers the
personal warnings, the in-scope summaries and the admin figures, and nothing to whoever muted them."""

from __future__ import annotations

from sqlalchemy import select

from bot.cadres.demo import seed_demo
from bot.scheduling import record_alerts
from bot.scheduling.models import Schedule
from tests.conftest import add_staff, say
from tests.scheduling.conftest import inbox, local, service_of

OUTSIDE_U0101 = ("陈静", "杨帆", "赵磊", "黄敏", "周强", "吴刚")  # cadres of U0102…U0104


async def _ids(bot, template: str) -> list[int]:
    async with bot.db() as session:
        return list(await session.scalars(select(Schedule.id).where(Schedule.template == template)))


async def test_demo_preview_then_run_now(clocked):
    bot, _ = await clocked(local(2026, 11, 28, 10, 0))
    await seed_demo(bot)
    await record_alerts.seed_demo(bot)
    await add_staff(bot, "wangfang", "演示·王芳", cadre="A1003", unit="U010102")
    assert "不再向您发送个人学时预警" in await say(bot, "wangfang", "/提醒 免打扰 学时")

    listing = await say(bot, "demo_admin", "/提醒 模板")
    assert "学时预警（已启用）" in listing and "后备干部复核（已启用）" in listing
    xueshi, houbei = (await _ids(bot, "xueshi"))[0], (await _ids(bot, "houbei"))[1]  # 6月30日; 12月15日

    preview = await say(bot, "demo_admin", f"/提醒 预览 {xueshi}")
    assert "下次检查点 2027-06-30 09:00（预览，不发送）" in preview
    assert "个人提醒：1 人（1 人已设免打扰，不发送）" in preview and "演示·张伟" in preview
    reserve_preview = await say(bot, "demo_organizer", f"/提醒 预览 {houbei}")
    assert "下次检查点 2026-12-15 09:00" in reserve_preview
    assert "演示·王芳" in reserve_preview and "演示·刘洋" in reserve_preview
    assert "演示·黄敏" not in reserve_preview  # A1008 is in U0103, outside the organizer's scope

    assert "共 3 位接收人" in await say(bot, "demo_admin", f"/提醒 立即发送 {xueshi}")
    await service_of(bot).tick()
    (personal,) = await inbox(bot, "demo_staff")
    assert personal.startswith("【学时预警】演示·张伟，您好：")
    assert "今年已完成 48 学时，全年要求 90 学时（乡科级及以下），还差 42 学时" in personal
    assert await inbox(bot, "wangfang") == []
    (summary,) = await inbox(bot, "demo_organizer")
    assert "演示市委组织部（U0101）及下级单位" in summary
    assert "共 5 名干部，进度正常 1 名，落后 4 名" in summary
    assert not any(name in summary for name in OUTSIDE_U0101)
    (figures,) = await inbox(bot, "demo_admin")
    assert "全部门 12 名干部" in figures and "1 人设置了免打扰" in figures

    assert "共 2 位接收人" in await say(bot, "demo_admin", f"/提醒 立即发送 {houbei}")
    await service_of(bot).tick()
    (reserve,) = await inbox(bot, "demo_organizer")
    assert "【后备干部提醒】演示市委组织部（U0101）及下级单位" in reserve
    assert "演示·刘洋（A1004，正处级后备，2023-12-15 入库）— 下一步：组织复核" in reserve
    assert "演示·王芳（A1003，副处级后备，“考察中”自 2024-06-30 起）— 下一步：推进考察" in reserve
    assert "演示·黄敏" not in reserve and "演示·吴刚" not in reserve
    (reserve_figures,) = await inbox(bot, "demo_admin")
    assert reserve_figures.startswith("【后备干部提醒·全局】")

    # Only personal warnings can be muted, and muting can be undone.
    assert "组织员汇总不能免打扰" in await say(bot, "demo_organizer", "/提醒 免打扰 后备")
    assert "已恢复" in await say(bot, "wangfang", "/提醒 恢复提醒 学时")
    assert "无需恢复" in await say(bot, "wangfang", "/提醒 恢复提醒 学时")
    assert "需要组织员权限" in await say(bot, "wangfang", "明细")
