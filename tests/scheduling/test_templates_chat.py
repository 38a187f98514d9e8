"""An admin enables the 七一 template in chat: the ladder skips the National Day holiday, pushes arrive."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.conftest import add_staff, say
from tests.scheduling.conftest import inbox, local, service_of


async def test_admin_enables_qiyi_template_and_reminders_arrive_on_workdays(clocked):
    bot, clock = await clocked(local(2026, 9, 20, 10, 0))
    await add_staff(bot, "admin1", "王书记", "admin")
    await add_staff(bot, "org1", "李组织", "organizer", unit="U01")
    await add_staff(bot, "org2", "赵组织", "organizer", unit="U02")

    assert "七一表彰推荐" in await say(bot, "admin1", "/提醒 模板")
    assert "截止日期" in await say(bot, "admin1", "/提醒 启用 七一表彰推荐")
    assert "发给谁" in await say(bot, "admin1", "10月12日前")
    reply = await say(bot, "admin1", "角色:组织员")
    # Ladder 7/3/1/0 days before Mon 10-12: 10-05 is National Day → the nearer workday 10-08
    # (not 09-30, 12 days before); 10-09 is a Friday workday; 10-11 is a Sunday → 10-10, a
    # make-up workday (调休).
    assert "2026-10-08 周四 09:00（截止前 4 天）〔10-05 为国庆节，已顺延〕" in reply
    assert "2026-10-09 周五 09:00（截止前 3 天）" in reply
    assert "2026-10-10 周六 09:00（截止前 2 天）" in reply
    assert "2026-10-12 周一 09:00（截止当天）" in reply
    assert "全体组织员" in reply
    assert "已创建 #1" in await say(bot, "admin1", "确认")

    service = service_of(bot)
    await service.tick()
    assert await inbox(bot, "org1") == []

    clock.set(local(2026, 10, 8, 9, 0, 5))
    await service.tick()
    first = await inbox(bot, "org1")
    assert len(first) == 1
    assert "【截止提醒】七一表彰推荐" in first[0] and "2026年10月12日（周一），还有 4 天" in first[0]
    assert len(await inbox(bot, "org2")) == 1
    assert await inbox(bot, "admin1") == []

    for day in (9, 10, 12):
        clock.set(local(2026, 10, day, 9, 0, 1))
        await service.tick()
    texts = await inbox(bot, "org1")
    assert [re.search(r"（周.），(.+?)。", t).group(1) for t in texts] == ["还有 3 天", "还有 2 天", "今天截止"]

    clock.advance(timedelta(days=30))
    await service.tick()
    assert await inbox(bot, "org1") == []
    assert "已结束" in await say(bot, "admin1", "/提醒 查看 1")
