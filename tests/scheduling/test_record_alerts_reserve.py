"""后备干部复核 on a manual clock: review due, a 考察 stage stalled since an import saw it begin,
no development measure this year; each organizer hears of their units only, with the next step."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.scheduling.models import Schedule
from tests.conftest import say
from tests.scheduling.conftest import inbox, local, service_of
from tests.scheduling.records_data import CADRES, RESERVE, STAFF, UNITS, load, sheet

UNIT_ROWS = ["U01,市直机关,", "U0101,市委组织部,U01", "U010101,干部一科,U0101", "U02,市发改委,U01"]
CADRE_ROWS = ["R1,甲一,U0101,科长,正科", "R2,乙二,U010101,副科长,副科", "R3,丙三,U02,科长,正科"]
STAFF_ROWS = ["admin1,王管理,管理员,U01,,", "org1,李组织,组织员,U0101,U0101,", "org2,赵组织,组织员,U02,U02,"]


def reserve_rows(r2_stage: str) -> list[str]:
    return [
        "R1,副处级后备,2024-03-01,考察中,挂职：某县副县长（2026-01-01至2026-12-31）",
        f"R2,正科级后备,2025-12-01,{r2_stage},",
        "R3,副处级后备,2024-01-10,已考察,轮岗：某局（2026-02-01至2027-01-31）",
    ]


async def test_reserve_reminders_name_only_in_scope_cadres_with_the_next_step(clocked, tmp_path):
    bot, clock = await clocked(local(2026, 3, 2, 10, 0))
    await load(
        bot,
        [
            sheet(tmp_path / "a", "单位", UNITS, UNIT_ROWS),
            sheet(tmp_path / "a", "干部", CADRES, CADRE_ROWS),
            sheet(tmp_path / "a", "人员", STAFF, STAFF_ROWS),
            sheet(tmp_path / "a", "后备干部", RESERVE, reserve_rows("未考察")),
        ],
        clock.now(),
    )
    # R2's 考察 begins; the import that shows it dates the stage.
    clock.set(local(2026, 3, 10, 10, 0))
    await load(bot, [sheet(tmp_path / "b", "后备干部", RESERVE, reserve_rows("考察中"))], clock.now())

    assert "只有管理员可以启用" in await say(bot, "org1", "/提醒 启用 后备干部复核")
    reply = await say(bot, "admin1", "/提醒 启用 后备干部复核 5月15日、6月30日")
    assert "#1" in reply and "#2" in reply
    preview = await say(bot, "org1", "/提醒 预览 2")
    assert "组织员名单：2 份；管理员全局情况：1 份" in preview
    assert "甲一" in preview and "乙二" in preview and "丙三" not in preview  # counts for all, names in scope

    async with bot.db() as session:
        fires = [s.next_fire_at for s in await session.scalars(select(Schedule).order_by(Schedule.id))]

    # 5月15日 (a Friday): R2's stage is 66 days old, not stalled yet.
    clock.set(fires[0] + timedelta(seconds=5))
    await service_of(bot).tick()
    (may,) = await inbox(bot, "org1")
    assert "考察停滞" in may and "乙二（R2" not in may.split("考察停滞")[1].split("本年度")[0]
    assert "本年度没有培养措施记录（1 人次）" in may and "乙二（R2，正科级后备，2025-12-01 入库）" in may
    assert "入库满 2 年，需复核（1 人次）" in may and "甲一（R1，副处级后备，2024-03-01 入库）" in may
    assert "下一步：组织复核，提出保留、调整或退出意见" in may
    assert "丙三" not in may and "R3" not in may
    (org2,) = await inbox(bot, "org2")
    assert "丙三（R3" in org2 and "甲一" not in org2 and "乙二" not in org2
    (figures,) = await inbox(bot, "admin1")
    assert "在库 3 人次" in figures and "到期需复核 2 人次" in figures and "已向 2 位组织员发送" in figures

    # 6月30日: R2's 考察 has stalled for 112 days.
    clock.set(fires[1] + timedelta(seconds=5))
    await service_of(bot).tick()
    (june,) = await inbox(bot, "org1")
    assert "考察停滞超过 90 天（2 人次）" in june
    assert "乙二（R2，正科级后备，“考察中”自 2026-03-10 起）— 下一步：推进考察，形成考察结论" in june
    assert "甲一（R1，副处级后备，“考察中”自 2024-03-01 起）" in june
