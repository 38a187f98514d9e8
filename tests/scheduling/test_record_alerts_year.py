"""学时预警 across a year on a manual clock: pace, the five-year window, a promotion mid-year,
stale data, scope, muting, and exactly one message per person per checkpoint across a restart."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.scheduling.models import OutboxRow, Schedule
from bot.storage.models import AuditEntry
from tests.conftest import say
from tests.scheduling.conftest import inbox, local, service_of
from tests.scheduling.records_data import (
    CADRES,
    STAFF,
    TRAINING,
    UNITS,
    load,
    sheet,
    training_rows,
)

UNIT_ROWS = ["U01,市直机关,", "U0101,市委组织部,U01", "U010101,干部一科,U0101", "U02,市发改委,U01"]


def cadre_rows(a5_rank: str) -> list[str]:
    return [
        "A1,甲一,U010101,科长,正科",
        "A2,乙二,U010101,副科长,副科",
        "A3,丙三,U0101,副部长,副处",
        "A4,丁四,U0101,部务委员,正处",
        f"A5,戊五,U0101,副部长,{a5_rank}",
        "A6,己六,U02,科长,正科",
    ]


STAFF_ROWS = [
    "admin1,王管理,管理员,U01,,",
    "org1,李组织,组织员,U0101,U0101,",
    "org2,赵组织,组织员,U02,U02,",
    *(f"s{i},人员{i},工作人员,U0101,,A{i}" for i in range(1, 6)),
]
TRAINING_ROWS = [
    *training_rows("A1", {2026: 10}),
    *training_rows("A2", {2026: 60}),
    *training_rows("A3", {2022: 100, 2023: 100, 2024: 100, 2025: 100, 2026: 60}),
    # 2021 lies outside the 2022–2026 window: counted, A4 would be on track.
    *training_rows("A4", {2021: 200, 2022: 100, 2023: 100, 2024: 100, 2025: 100, 2026: 80}),
    *training_rows("A5", {2022: 100, 2023: 100, 2024: 100, 2025: 100, 2026: 60}),
]


async def _fire_times(bot) -> list:
    async with bot.db() as session:
        rows = await session.scalars(select(Schedule).where(Schedule.template == "xueshi").order_by(Schedule.id))
        return [r.next_fire_at for r in rows]


async def test_a_year_of_training_checkpoints(clocked, make_bot, tmp_path):
    bot, clock = await clocked(local(2026, 3, 2, 10, 0))
    start = clock.now()
    await load(
        bot,
        [
            sheet(tmp_path / "a", "单位", UNITS, UNIT_ROWS),
            sheet(tmp_path / "a", "干部", CADRES, cadre_rows("正科")),
            sheet(tmp_path / "a", "人员", STAFF, STAFF_ROWS),
            sheet(tmp_path / "a", "培训记录", TRAINING, TRAINING_ROWS),
        ],
        start,
    )

    reply = await say(bot, "admin1", "/提醒 启用 学时预警 6月30日、9月30日、11月15日")
    assert "已启用“学时预警”" in reply and "#3" in reply
    assert "检查点 " not in await say(bot, "admin1", "/提醒 启用 学时预警 6月30日")  # already on: nothing new
    fires = await _fire_times(bot)
    assert [f.astimezone(local(2026, 1, 1).tzinfo).date().isoformat() for f in fires] == [
        "2026-06-30",
        "2026-09-30",
        "2026-11-13",  # 11-15 is a Sunday: the Friday before
    ]
    assert "需要组织员权限" in await say(bot, "s2", "/提醒 列表")
    assert "不再向您发送个人学时预警" in await say(bot, "s1", "/提醒 免打扰 学时")

    preview = await say(bot, "admin1", "/提醒 预览 1")
    assert "个人提醒：2 人（1 人已设免打扰，不发送）" in preview
    assert "丙三" in preview and "丁四" in preview and "甲一" not in preview
    assert "组织员汇总：2 份；管理员全局情况：1 份" in preview
    assert await inbox(bot, "s3") == []  # a preview sends nothing

    # --- 6月30日 -------------------------------------------------------------------------------
    clock.set(fires[0] + timedelta(seconds=5))
    second = await make_bot(clock=clock)  # another instance on the same database
    await asyncio.gather(service_of(bot).tick(), service_of(second).tick())
    await asyncio.gather(service_of(bot).tick(), service_of(second).tick())
    await second.stop()
    assert await inbox(bot, "s1") == []  # muted
    assert await inbox(bot, "s2") == []  # on pace: 60 ≥ 90 × 181/365
    (a3,) = await inbox(bot, "s3")
    assert "2022—2026 年五年累计完成 460 学时，要求 550 学时（县处级及以上），还差 90 学时" in a3
    assert "按进度此时应达到 494.5 学时" in a3 and "距年底还有 184 天" in a3
    (a4,) = await inbox(bot, "s4")
    assert "五年累计完成 480 学时" in a4  # the 2021 course is outside the window
    assert await inbox(bot, "s5") == []

    (org1,) = await inbox(bot, "org1")
    assert "共 5 名干部，进度正常 2 名，落后 3 名" in org1
    assert "丁四（A4）" in org1 and "丙三（A3）" in org1 and "甲一（A1）" in org1
    assert "己六" not in org1 and "A6" not in org1
    assert "回复“明细”" in org1
    (org2,) = await inbox(bot, "org2")
    assert "共 1 名干部，进度正常 0 名，落后 1 名" in org2 and "己六（A6）" in org2 and "甲一" not in org2
    (figures,) = await inbox(bot, "admin1")
    assert "全部门 6 名干部，落后进度 4 名（县处级及以上 2 名，乡科级及以下 2 名）" in figures
    assert "已向 2 名干部发送个人提醒；1 人设置了免打扰；1 名落后干部未关联账号" in figures
    assert "2026-03-02 10:00" in figures

    detail = await say(bot, "org1", "明细")
    assert "共 3 名" in detail and "己六" not in detail
    async with bot.db() as session:
        audited = set(
            await session.scalars(
                select(AuditEntry.subject).where(AuditEntry.action == "cadre.alert.xueshi", AuditEntry.query == "→org1")
            )
        )
    assert audited == {"A1", "A3", "A4"}

    # A restart, a second run of the same fire and a 立即发送 the same day queue nothing new.
    queued = await _outbox_count(bot)
    await bot.stop()
    bot = await make_bot(clock=clock)
    await service_of(bot).tick()
    clock.advance(timedelta(hours=3))
    assert "共 0 位接收人" in await say(bot, "admin1", "/提醒 立即发送 1")
    await service_of(bot).tick()
    assert await _outbox_count(bot) == queued
    assert len(await inbox(bot, "s3")) == 0 and len(await inbox(bot, "org1")) == 0

    # --- A5 is promoted on 7月1日; 9月30日 arrives with no training import since 6月30日
    # (the last checkpoint run: the 立即发送 at 12:00) ----------------------------------------
    clock.set(local(2026, 7, 1, 10, 0))
    await load(bot, [sheet(tmp_path / "b", "干部", CADRES, cadre_rows("副处"))], clock.now())
    clock.set(fires[1] + timedelta(seconds=5))
    await service_of(bot).tick()
    (stale,) = await inbox(bot, "admin1")
    assert "【学时预警未发送】培训记录自上次检查点（2026-06-30 12:00）以来未更新" in stale
    assert "最近一次导入：2026-03-02 10:00" in stale and "/提醒 立即发送 2" in stale
    for user in ("s2", "s3", "s4", "s5", "org1", "org2"):
        assert await inbox(bot, user) == [], user

    # --- new figures imported; 11月13日 (for 11月15日) ---------------------------------------
    clock.set(local(2026, 10, 10, 10, 0))
    await load(bot, [sheet(tmp_path / "c", "培训记录", TRAINING, TRAINING_ROWS)], clock.now())
    clock.set(fires[2] + timedelta(seconds=5))
    await service_of(bot).tick()
    (a2,) = await inbox(bot, "s2")
    assert "今年已完成 60 学时，全年要求 90 学时（乡科级及以下），还差 30 学时" in a2
    # A5 owes 90/年 until 7月1日 and the 县处级 rate after: 460 ≥ the 445.6 that pace asks.
    assert await inbox(bot, "s5") == []
    (org1,) = await inbox(bot, "org1")
    assert "戊五" not in org1 and "乙二（A2）" in org1


async def _outbox_count(bot) -> int:
    async with bot.db() as session:
        return len(list(await session.scalars(select(OutboxRow.id))))
