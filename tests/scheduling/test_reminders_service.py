"""The reminders and receipts services themselves: typed results, refusals audited, each rule once.

Chat, `orgbot schedule` and the console call these functions; here they are called directly,
as a new front end would, on a real database.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.access import Access
from bot.cli import build_parser
from bot.cli.schedule import _new_command
from bot.roles import Role
from bot.scheduling import schedules as sched
from bot.scheduling.actor import Actor, Refusal, Refused
from bot.scheduling.models import Schedule
from bot.scheduling.phrases import Parsed
from bot.scheduling.receipt_desk import NoReceipts, Nudge
from bot.scheduling.reminders import (
    EditReminder,
    NewNotice,
    NewReminder,
    NoticeError,
    NoticeProblem,
    RecordsTemplate,
    ScheduleRef,
    Unclear,
    notice_rule,
)
from bot.scheduling.rules import Rule
from bot.scheduling.targets import TargetSpec
from bot.scheduling.templates import TEMPLATES
from bot.storage.models import AuditEntry
from tests.conftest import add_staff, say
from tests.scheduling.conftest import local
from tests.scheduling.strategies import PROPERTY_SETTINGS

ADMIN = Actor(Access("admin1", Role.ADMIN), "console")


def organizer(user_id: str = "org1", unit: str = "U01") -> Actor:
    return Actor(Access(user_id, Role.ORGANIZER, unit_scope=unit), "console")


async def _people(bot) -> None:
    await add_staff(bot, "admin1", "王书记", "admin")
    await add_staff(bot, "org1", "李组织", "organizer", unit="U01")
    await add_staff(bot, "org2", "赵组织", "organizer", unit="U02")
    await add_staff(bot, "zs", "张三", unit="U01")
    await add_staff(bot, "far", "远方", unit="U02")


async def _audit(bot, action: str) -> list[AuditEntry]:
    async with bot.db() as session:
        return list(await session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


async def test_preview_sends_nothing_and_create_returns_the_schedule_it_previewed(clocked):
    bot, _ = await clocked(local(2026, 3, 2, 10, 0))
    await _people(bot)
    reminders = bot.scheduling.reminders
    cmd = NewReminder(ADMIN, "单位:U01", "9月18日前", template="qiyi")

    preview = await reminders.preview(cmd)
    assert preview.draft.name == "七一表彰推荐" and preview.draft.kind == "deadline"
    assert preview.draft.rule.ladder == (7, 3, 1, 0)  # the template's, not the phrase's default
    assert len(preview.fires) == 4 and preview.choice is None
    assert preview.draft.targets == [TargetSpec("unit", "U01")]
    assert await reminders.listing(ADMIN) == []

    created = await reminders.create(cmd)
    assert created.preview.fires == preview.fires
    listed = await reminders.listing(ADMIN)
    assert [row.schedule.id for row in listed] == [created.schedule.id]
    assert listed[0].next_at == preview.fires[0].at
    [row] = await _audit(bot, "schedule.create")
    assert (row.actor, row.channel, row.outcome, row.subject) == ("admin1", "console", "ok", str(created.schedule.id))

    detail = await reminders.show(ScheduleRef(ADMIN, created.schedule.id))
    assert [f.at for f in detail.upcoming.fires] == [f.at for f in preview.fires]
    assert [c.action for c in detail.history] == ["create"]


async def test_an_ambiguous_time_is_a_typed_question_not_an_error_text(clocked):
    bot, _ = await clocked(local(2026, 3, 2, 10, 0))
    await _people(bot)
    with pytest.raises(Unclear) as caught:
        await bot.scheduling.reminders.preview(NewReminder(ADMIN, "@zs", "下周三3点", name="会"))
    assert caught.value.field == "when" and "下午 3 点" in caught.value.ask.question


@pytest.mark.parametrize("template", [t.key for t in TEMPLATES if t.from_records])
async def test_a_records_template_is_never_a_plain_schedule(clocked, template):
    """Its recipients come from the records at each checkpoint: only record_alerts makes it."""
    bot, _ = await clocked(local(2026, 3, 2, 10, 0))
    await _people(bot)
    reminders = bot.scheduling.reminders
    cmd = NewReminder(ADMIN, "@zs", "6月30日", template=template)
    with pytest.raises(RecordsTemplate):
        await reminders.preview(cmd)
    with pytest.raises(RecordsTemplate):
        await reminders.create(cmd)
    assert await reminders.listing(ADMIN) == []


async def test_organizer_refusals_are_typed_audited_and_change_nothing(clocked):
    bot, _ = await clocked(local(2026, 3, 2, 10, 0))
    await _people(bot)
    reminders = bot.scheduling.reminders
    theirs = (await reminders.create(NewReminder(organizer("org2", "U02"), "@far", "3月20日前", name="报送"))).schedule

    for to, reason in (
        ("全体", Refusal.EVERYONE),
        ("角色:组织员", Refusal.EVERYONE),
        ("群:wecom:g1", Refusal.GROUP),
        ("单位:U02", Refusal.UNIT),
        ("@far", Refusal.PERSON),
    ):
        with pytest.raises(Refused) as caught:
            await reminders.create(NewReminder(organizer(), to, "3月20日前", name="越权"))
        assert caught.value.reason is reason, to
    for call in (reminders.pause, reminders.remove, reminders.run_now, reminders.show):
        with pytest.raises(Refused) as caught:
            await call(ScheduleRef(organizer(), theirs.id))
        assert caught.value.reason is Refusal.NOT_OWNER
    with pytest.raises(Refused):
        await reminders.edit(EditReminder(organizer(), theirs.id, name="改名"))

    denied = [
        (r.action, r.outcome, r.detail)
        for r in (await _audit(bot, "schedule.create")) + (await _audit(bot, "schedule.pause"))
        if r.outcome == "denied"
    ]
    assert len(denied) == 6 and all(d[1] == "denied" for d in denied)
    assert ("schedule.pause", "denied", "not_owner") in denied
    assert [row.schedule.name for row in await reminders.listing(ADMIN)] == ["报送"]
    assert (await reminders.listing(organizer())) == []
    assert (await reminders.show(ScheduleRef(ADMIN, theirs.id))).schedule.status == "active"

    mine = await reminders.create(NewReminder(organizer(), "单位:U01 @zs @org1", "3月20日前", name="本单位"))
    assert (await reminders.pause(ScheduleRef(organizer(), mine.schedule.id))).schedule.status == "paused"
    resumed = await reminders.resume(ScheduleRef(organizer(), mine.schedule.id))
    assert resumed.schedule.status == "active" and resumed.upcoming.fires


async def test_meeting_notice_rule_holds_for_every_front_end(clocked):
    bot, clock = await clocked(local(2026, 11, 27, 10, 0))
    await _people(bot)
    now = clock.now().astimezone(bot.scheduling.policy.tz)
    rule = notice_rule("12月2日 15:00", None, "1天", now)
    assert rule == Rule(
        "once", at="2026-11-27T10:00:00", event_at="2026-12-02T15:00", rereminder_minutes=1440, shift="none"
    )
    for event, send, rereminder, problem in (
        ("每月20日前", None, 0, NoticeProblem.EVENT_NOT_SPECIFIC),
        ("12月2日 15:00", "12月3日 9:00", 0, NoticeProblem.SEND_AFTER_EVENT),
        ("12月2日 15:00", None, "十天", NoticeProblem.REREMINDER_BEFORE_SEND),
        ("12月2日 15:00", None, "一会儿", NoticeProblem.REREMINDER_UNREADABLE),
    ):
        with pytest.raises(NoticeError) as caught:
            notice_rule(event, send, rereminder, now)
        assert caught.value.problem is problem

    notice = NewNotice(ADMIN, "支部党员大会", "12月2日 15:00", "单位:U01", rereminder="1天")
    created = await bot.scheduling.reminders.create(notice)
    assert created.schedule.receipt and created.schedule.kind == "notice"
    with pytest.raises(NoticeError) as caught:
        await bot.scheduling.reminders.edit(EditReminder(ADMIN, created.schedule.id, when="12月3日 15:00"))
    assert caught.value.problem is NoticeProblem.EVENT_FIXED


async def test_run_now_twice_at_one_instant_is_merged_and_both_are_audited(clocked):
    bot, _ = await clocked(local(2026, 3, 2, 10, 0))
    await _people(bot)
    reminders = bot.scheduling.reminders
    made = await reminders.create(NewReminder(ADMIN, "@zs @far", "3月20日 10:00", name="报送"))
    first = await reminders.run_now(ScheduleRef(ADMIN, made.schedule.id))
    second = await reminders.run_now(ScheduleRef(ADMIN, made.schedule.id))
    assert (first.recipients, first.merged) == (2, False)
    assert (second.recipients, second.merged) == (2, True)
    assert [r.detail for r in await _audit(bot, "schedule.run-now")] == ["2 recipients", "2 recipients, merged"]


async def test_receipts_report_scope_nudge_and_xlsx_export(clocked, tmp_path: Path):
    from openpyxl import load_workbook

    bot, _ = await clocked(local(2026, 11, 27, 10, 0))
    await _people(bot)
    made = await bot.scheduling.reminders.create(NewNotice(ADMIN, "党员大会", "12月2日 15:00", "@zs @far"))
    await bot.scheduling.tick()
    desk = bot.scheduling.receipts
    assert "已确认收到" in await say(bot, "zs", "收到")

    full = await desk.report(ADMIN, made.schedule.id)
    assert [x.user_id for x in full.report.confirmed] == ["zs"] and [x.user_id for x in full.report.waiting] == ["far"]
    scoped = await desk.report(organizer(), made.schedule.id)  # reached zs, in U01: only zs is shown
    assert scoped.report.scoped and [x.user_id for x in scoped.report.confirmed] == ["zs"] and not scoped.report.waiting
    assert (await desk.nudge(organizer(), made.schedule.id)).outcome is Nudge.ALL_CONFIRMED
    with pytest.raises(Refused) as caught:
        await desk.report(organizer("org3", "U09"), made.schedule.id)
    assert caught.value.reason is Refusal.NOT_VISIBLE
    assert [r.outcome for r in await _audit(bot, "receipt.report")] == ["denied"]

    nudged = await desk.nudge(ADMIN, made.schedule.id)
    assert (nudged.outcome, nudged.recipients) == (Nudge.SENT, 1)
    assert [r.detail for r in await _audit(bot, "receipt.nudge")] == ["1 recipients"]

    path = tmp_path / "回执.xlsx"
    assert await desk.export(ADMIN, made.schedule.id, path) == 2
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("用户ID", "姓名", "状态") and {r[0] for r in rows[1:]} == {"zs", "far"}

    plain = await bot.scheduling.reminders.create(NewReminder(ADMIN, "@zs", "12月20日前", name="报送"))
    with pytest.raises(NoReceipts):
        await desk.report(ADMIN, plain.schedule.id)


# ---------------------------------------------------------------- the ladder rule, once

DEADLINES = st.one_of(
    st.builds(lambda m, d: f"{m}月{d}日前", st.integers(4, 12), st.integers(1, 28)),
    st.builds(lambda d: f"每月{d}日前", st.integers(1, 28)),
    st.builds(lambda m, d, h: f"{m}月{d}日{h}点前", st.integers(4, 12), st.integers(1, 28), st.integers(8, 17)),
    st.builds(lambda m, d: f"{m}月{d}日前 3点", st.integers(4, 12), st.integers(1, 28)),  # unclear: asked back
)


async def _via_chat(bot, template_name: str, phrase: str) -> Schedule | None:
    assert "启用" in await say(bot, "admin1", f"/提醒 启用 {template_name}")
    if "发给谁" not in await say(bot, "admin1", phrase):
        return None  # asked back: the phrase is unclear (the next command ends the dialogue)
    assert "请确认" in await say(bot, "admin1", "全体")
    if "已创建" not in await say(bot, "admin1", "确认"):
        return None  # a choice (照常/顺延) was needed; the next command ends the dialogue
    async with bot.db() as session:
        return await session.scalar(select(Schedule).order_by(Schedule.id.desc()).limit(1))


async def _via_cli(bot, template_key: str, phrase: str) -> Schedule | None:
    args = build_parser().parse_args(
        ["schedule", "add", "--template", template_key, "--when", phrase, "--to", "全体", "--yes", "--by", "admin1"]
    )
    cmd = _new_command(args)
    assert not isinstance(cmd, str)
    try:
        return (await bot.scheduling.reminders.create(cmd)).schedule
    except sched.ScheduleError:
        return None


@pytest.fixture
def one_bot() -> dict:
    """Hypothesis runs every example in this one test: they share one bot (started by the first)."""
    return {}


@settings(PROPERTY_SETTINGS, max_examples=max(6, PROPERTY_SETTINGS.max_examples // 6))
# Reminders from the records (学时预警, 后备干部复核) take checkpoints, not a deadline and recipients.
@given(template=st.sampled_from([t for t in TEMPLATES if not t.from_records]), phrase=DEADLINES)
async def test_chat_and_cli_make_the_same_schedule_from_a_template_and_a_deadline(clocked, one_bot, template, phrase):
    if "bot" not in one_bot:
        one_bot["bot"], _ = await clocked(local(2026, 3, 2, 10, 0))
        await _people(one_bot["bot"])
    bot = one_bot["bot"]
    chat = await _via_chat(bot, template.name, phrase)
    cli = await _via_cli(bot, template.key, phrase)
    assert (chat is None) == (cli is None), phrase
    if chat is None or cli is None:
        return
    assert chat.id != cli.id
    assert sched.rule_of(chat) == sched.rule_of(cli)
    assert (chat.kind, chat.name, chat.text, chat.template) == (cli.kind, cli.name, cli.text, cli.template)
    rule = sched.rule_of(chat)
    if rule.deadline and template.ladder:
        assert rule.ladder == template.ladder


async def test_the_dialogue_hands_a_parsed_time_to_the_same_rule(clocked):
    """A guided dialogue passes what it parsed (Parsed), the CLI the phrase: one rule either way."""
    bot, clock = await clocked(local(2026, 3, 2, 10, 0))
    await _people(bot)
    reminders = bot.scheduling.reminders
    from bot.scheduling.phrases import parse_phrase

    parsed = parse_phrase("6月20日前", clock.now().astimezone(bot.scheduling.policy.tz))
    assert isinstance(parsed, Parsed)
    by_phrase = await reminders.preview(NewReminder(ADMIN, "@zs", "6月20日前", template="qiyi"))
    by_parsed = await reminders.preview(NewReminder(ADMIN, "@zs", parsed, template="qiyi"))
    assert by_phrase.draft == by_parsed.draft and by_phrase.fires == by_parsed.fires
