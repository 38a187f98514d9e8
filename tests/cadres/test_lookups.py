"""Chat lookups read like the conversations staff have with the bot."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.cadres.demo import seed_demo
from bot.clock import ManualClock
from bot.storage.models import AuditEntry
from tests.conftest import say


async def test_section_level_cadre_short_of_this_years_hours(demo_bot):
    reply = await say(demo_bot, "demo_staff", "/我的培训")
    assert "演示·张伟（A1001）" in reply
    assert "每年不少于 90 学时" in reply
    assert "2026 年已完成：48 / 90 学时，还差 42 学时" in reply
    assert "2026年春季中青年干部培训班" in reply


async def test_section_level_cadre_who_met_the_requirement(demo_bot):
    reply = await say(demo_bot, "demo_admin", "/培训 A1002")
    assert "96 / 90 学时，已达标" in reply and "还差" not in reply


async def test_courses_still_running_are_shown_but_not_counted(demo_bot):
    reply = await say(demo_bot, "demo_organizer", "/培训 A1003")
    assert "40 / 90 学时，还差 50 学时" in reply
    assert "2026年秋季科级干部进修班" in reply and "在学" in reply and "结业后才计入" in reply


async def test_division_level_cadre_counts_a_rolling_five_years(demo_bot):
    reply = await say(demo_bot, "demo_organizer", "/培训 A1004")
    assert "5 年累计不少于 550 学时" in reply
    assert "2022–2026 年累计：420 / 550 学时，还差 130 学时" in reply
    met = await say(demo_bot, "demo_admin", "/培训 A1005")
    assert "610 / 550 学时，已达标" in met


async def test_requirements_come_from_config(make_bot, clock):
    bot = await make_bot(clock=clock, ORGBOT_CADRES_SECTION_YEARLY_HOURS="40")
    await seed_demo(bot)
    assert "48 / 40 学时，已达标" in await say(bot, "demo_staff", "/我的培训")


async def test_this_year_follows_the_bot_timezone(make_bot):
    # 2026-12-31 17:00 UTC is already 2027-01-01 in Shanghai.
    bot = await make_bot(clock=ManualClock(datetime(2026, 12, 31, 17, 0, tzinfo=ZoneInfo("UTC"))))
    await seed_demo(bot)
    reply = await say(bot, "demo_staff", "/我的培训")
    assert "2027 年已完成：0 / 90 学时" in reply


async def test_cadre_without_any_training(demo_bot):
    assert "还没有培训记录" in await say(demo_bot, "demo_admin", "/培训 A1008")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("查一下A1003今年学时够不够", "演示·王芳（A1003）"),
        ("a1003 的培训情况", "演示·王芳（A1003）"),
        ("Ａ１００３学时", "演示·王芳（A1003）"),
        ("A1004是不是后备干部", "【后备干部】演示·刘洋（A1004）"),
        ("A1004的基本情况", "【干部信息】演示·刘洋（A1004）"),
    ],
)
async def test_natural_phrasing(demo_bot, text, expected):
    assert expected in await say(demo_bot, "demo_organizer", text)


async def test_asking_about_oneself_in_plain_words(demo_bot):
    assert "还差 42 学时" in await say(demo_bot, "demo_staff", "我今年还差多少学时")
    reply = await say(demo_bot, "demo_staff", "我是不是后备干部")
    assert "【后备干部】演示·张伟（A1001）" in reply and "副处级后备" in reply


async def test_self_lookup_without_a_linked_cadre_says_how_to_fix_it(demo_bot):
    reply = await say(demo_bot, "demo_admin", "/我的培训")
    assert "还没有关联干部编号" in reply


async def test_reserve_reply_shows_level_since_stage_and_measures(demo_bot):
    reply = await say(demo_bot, "demo_admin", "/后备 A1003")
    assert "副处级后备：2024-06-30 入库" in reply
    assert "考察：考察中" in reply
    assert "挂职：演示县副县长（2025-03-01 至 2027-02-28） 进行中" in reply
    not_reserve = await say(demo_bot, "demo_admin", "/后备 A1002")
    assert "不在后备干部名单中" in not_reserve
    exited = await say(demo_bot, "demo_admin", "/后备 A1011")
    assert "目前不在后备干部名单中" in exited and "已提拔任用" in exited


async def test_a_name_with_several_matches_gives_a_numbered_list_and_the_number_picks(demo_bot):
    listing = await say(demo_bot, "demo_admin", "/培训 王芳")
    assert "1. 演示·王芳（A1003" in listing and "2. 演示·王芳（A1010" in listing
    assert "A1010）演示县城关镇" in await say(demo_bot, "demo_admin", "2")
    # the pick is used up: a second "2" is no longer a menu choice
    assert "A1010）演示县城关镇" not in await say(demo_bot, "demo_admin", "2")


async def test_a_number_outside_the_list_asks_again(demo_bot):
    await say(demo_bot, "demo_admin", "/后备 王芳")
    assert "请回复 1 到 2 之间的序号" in await say(demo_bot, "demo_admin", "7")
    assert "【后备干部】演示·王芳（A1003）" in await say(demo_bot, "demo_admin", "1")


async def test_the_pick_list_is_a_declared_dialogue_that_stays_open_until_a_pick_or_a_command(demo_bot):
    await say(demo_bot, "demo_admin", "/培训 王芳")
    for wrong in ("7", "第九个", "0"):
        assert "请回复 1 到 2 之间的序号" in await say(demo_bot, "demo_admin", wrong)
    assert "A1010）演示县城关镇" in await say(demo_bot, "demo_admin", "第二个")
    await say(demo_bot, "demo_admin", "/培训 王芳")
    assert "可以帮您" in await say(demo_bot, "demo_admin", "/帮助")  # a command ends it
    assert "请回复 1 到 2" not in await say(demo_bot, "demo_admin", "7")


async def test_a_partial_id_offers_the_matching_ids_the_asker_may_see(demo_bot):
    reply = await say(demo_bot, "demo_organizer", "/培训 1003")
    assert "没有找到干部编号 1003" in reply and "1. 演示·王芳（A1003" in reply
    assert "【培训学时】演示·王芳（A1003）" in await say(demo_bot, "demo_organizer", "1")
    listing = await say(demo_bot, "demo_organizer", "/后备 A100")
    assert "A1001" in listing and "A1004" in listing and "A1005" not in listing and "A1008" not in listing
    assert "没有找到您有权查看" in await say(demo_bot, "demo_staff", "/培训 1005")
    assert "1. 演示·张伟（A1001" in await say(demo_bot, "demo_staff", "/培训 1001")


async def test_the_list_only_holds_people_the_asker_may_see(demo_bot):
    reply = await say(demo_bot, "demo_organizer", "/培训 王芳")
    assert "【培训学时】演示·王芳（A1003）" in reply and "A1010" not in reply


async def test_name_search_without_rights_finds_nothing(demo_bot):
    reply = await say(demo_bot, "demo_staff", "/培训 陈静")
    assert "没有找到您有权查看的干部记录" in reply and "A1005" not in reply


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/培训", "请在命令后写上干部编号或姓名"),
        ("/培训 " + "A" * 500, "输入太长了"),
        ("/培训 A" + "1" * 40, "干部编号最多 32 位"),
        ("/培训 A1003' OR '1'='1", "只能包含字母、数字和连字符"),
        ("/培训 A1003; DROP TABLE cadres;--", "只能包含字母、数字和连字符"),
        ("/培训 王芳<script>", "姓名只能包含汉字"),
    ],
)
async def test_malformed_input_gets_a_clear_reply(demo_bot, text, expected):
    reply = await say(demo_bot, "demo_admin", text)
    assert expected in reply
    assert "演示·" not in reply


@pytest.mark.parametrize("typed", ["ａ１００３", "a1003", " A 1003 ", "A１００３", "A\u30001003"])
async def test_ids_are_normalized(demo_bot, typed):
    assert "演示·王芳（A1003）" in await say(demo_bot, "demo_admin", f"/培训 {typed}")


async def test_every_lookup_is_audited_with_its_outcome(demo_bot):
    await say(demo_bot, "demo_organizer", "/培训 A1003")
    await say(demo_bot, "demo_organizer", "/后备 A1005", group=True)
    await say(demo_bot, "demo_organizer", "/干部 A9999")
    await say(demo_bot, "demo_organizer", "/培训 A1003' OR 1=1")
    await say(demo_bot, "stranger", "/培训 A1003")
    async with demo_bot.db() as session:
        rows = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    got = [(r.actor, r.action, r.subject, r.outcome, r.chat_id) for r in rows]
    assert got == [
        ("demo_organizer", "cadre.training", "A1003", "allowed", "dm:demo_organizer"),
        ("demo_organizer", "cadre.reserve", "A1005", "denied", "group-1"),
        ("demo_organizer", "cadre.profile", "A9999", "not_found", "dm:demo_organizer"),
        ("demo_organizer", "cadre.training", None, "invalid", "dm:demo_organizer"),
        ("stranger", "cadre.training", None, "denied", "dm:stranger"),
    ]
    assert rows[0].query == "/培训 A1003" and rows[0].channel == "terminal"
    assert rows[0].at == demo_bot.clock.now()


async def test_rate_limit_per_minute_then_per_day(make_bot, clock):
    bot = await make_bot(clock=clock, ORGBOT_CADRES_LOOKUPS_PER_MINUTE="3", ORGBOT_CADRES_LOOKUPS_PER_DAY="5")
    await seed_demo(bot)
    for _ in range(3):
        assert "演示·王芳" in await say(bot, "demo_organizer", "/培训 A1003")
    blocked = await say(bot, "demo_organizer", "/培训 A1003")
    assert "每分钟最多查询 3 次" in blocked and "演示·王芳" not in blocked
    # a different person is not affected
    assert "演示·张伟" in await say(bot, "demo_staff", "/我的培训")
    clock.advance(timedelta(seconds=61))
    assert "演示·王芳" in await say(bot, "demo_organizer", "/培训 A1003")
    assert "演示·王芳" in await say(bot, "demo_organizer", "/培训 A1003")
    assert "24 小时内的查询已达上限" in await say(bot, "demo_organizer", "/培训 A1003")
    clock.advance(timedelta(days=1))
    assert "演示·王芳" in await say(bot, "demo_organizer", "/培训 A1003")
    async with bot.db() as session:
        outcomes = list(await session.scalars(select(AuditEntry.outcome).where(AuditEntry.actor == "demo_organizer")))
    assert outcomes.count("rate_limited") == 2


async def test_rate_limit_holds_across_instances(make_bot, clock):
    first = await make_bot(clock=clock, ORGBOT_CADRES_LOOKUPS_PER_MINUTE="2")
    await seed_demo(first)
    second = await make_bot(clock=clock, ORGBOT_CADRES_LOOKUPS_PER_MINUTE="2")
    await say(first, "demo_organizer", "/培训 A1003")
    await say(second, "demo_organizer", "/培训 A1003")
    assert "查询过于频繁" in await say(first, "demo_organizer", "/培训 A1004")
