"""定时提醒 in the console: the form and its preview call the same service as chat and the CLI."""

from __future__ import annotations

from sqlalchemy import select

from bot.scheduling.models import Schedule
from tests.console.conftest import audit_rows


async def _schedules(bot) -> list[Schedule]:
    async with bot.db() as session:
        return list(await session.scalars(select(Schedule).order_by(Schedule.id)))


async def test_create_with_preview_then_listed(console):
    c = await console("demo_admin")
    form = await c.page("/admin/schedules/new")
    assert "每月最后一个工作日" in form and "三会一课" in form and "单位:U0101" in form
    fields = {"name": "支部材料报送", "when": "每月最后一个工作日 16:00", "to": "单位:U0101", "text": "请按时报送"}
    preview = await c.post("/admin/schedules/preview", fields)
    page = await preview.text()
    assert preview.status == 200 and "接下来 5 次发送" in page and "16:00" in page
    live = await c.post("/admin/schedules/preview", fields, headers={"Accept": "application/json"})
    assert "16:00" in (await live.json())["preview"]
    assert not await _schedules(c.bot), "a preview creates nothing"
    made = await c.post("/admin/schedules/new", fields)
    assert made.status == 303
    (schedule,) = await _schedules(c.bot)
    assert made.headers["Location"] == f"/admin/schedules/{schedule.id}" and schedule.created_by == "demo_admin"
    detail = await c.page(f"/admin/schedules/{schedule.id}")
    assert "已创建" in detail and "接下来 5 次发送" in detail
    listing = await c.page("/admin/schedules")
    assert "支部材料报送" in listing and "已创建" not in listing, "the message is shown once"
    rows = await audit_rows(c.bot, action="schedule.create", channel="console")
    assert rows and rows[-1].actor == "demo_admin" and rows[-1].outcome == "ok"


async def test_an_unclear_time_is_asked_back_on_the_form(console):
    c = await console("demo_admin")
    resp = await c.post("/admin/schedules/new", {"name": "x", "when": "下下下个月某天", "to": "单位:U01"})
    page = await resp.text()
    assert resp.status == 200 and 'class="error"' in page and "下下下个月某天" in page
    assert not await _schedules(c.bot)
    assert await audit_rows(c.bot, action="schedule.create", outcome="invalid")


async def test_template_prefills_and_picker_adds_recipients(console):
    c = await console("demo_admin")
    form = await c.page("/admin/schedules/new", template="qiyi")
    assert "七一表彰推荐" in form
    resp = await c.post("/admin/schedules/new", {"template": "qiyi", "when": "6月20日前", "pick": "单位:U0102"})
    assert resp.status == 303, await resp.text()
    resp = await c.post("/admin/schedules/new", {"template": "dangfei", "pick": ["单位:U0103", "@demo_staff"]})
    assert resp.status == 303, await resp.text()
    qiyi, dangfei = await _schedules(c.bot)
    assert qiyi.template == "qiyi" and qiyi.name == "七一表彰推荐" and "U0102" in qiyi.targets
    assert dangfei.template == "dangfei" and "U0103" in dangfei.targets and "demo_staff" in dangfei.targets


async def test_organizer_refused_a_unit_outside_scope(console):
    c = await console("demo_organizer")
    form = await c.page("/admin/schedules/new")
    assert "单位:U0101" in form and "单位:U0102" not in form, "the picker offers only the organizer's units"
    resp = await c.post("/admin/schedules/new", {"name": "越权", "when": "明天上午9点", "to": "单位:U0102"})
    page = await resp.text()
    assert "不在您管理的范围" in page
    assert not await _schedules(c.bot)
    denied = await audit_rows(c.bot, actor="demo_organizer", channel="console", action="schedule.create")
    assert denied and denied[-1].outcome == "denied"


async def test_lifecycle_each_confirmed_then_done(console):
    c = await console("demo_admin")
    await c.post("/admin/schedules/new", {"name": "周报", "when": "每周一 9:00", "to": "@demo_staff"})
    (schedule,) = await _schedules(c.bot)
    sid = schedule.id
    for op, state in (("pause", "paused"), ("resume", "active"), ("run-now", "active"), ("remove", "deleted")):
        confirm = await c.page(f"/admin/schedules/{sid}/{op}")
        assert "确认" in confirm
        resp = await c.post(f"/admin/schedules/{sid}/{op}")
        assert resp.status == 303, await resp.text()
        (schedule,) = await _schedules(c.bot)
        assert schedule.status == state, op
    actions = {r.action for r in await audit_rows(c.bot, channel="console", actor="demo_admin")}
    assert {"schedule.pause", "schedule.resume", "schedule.run-now", "schedule.delete"} <= actions


async def test_organizer_cannot_touch_someone_elses_schedule(console):
    admin = await console("demo_admin")
    await admin.post("/admin/schedules/new", {"name": "管理员的", "when": "每周一 9:00", "to": "单位:U01"})
    (schedule,) = await _schedules(admin.bot)
    org = await console("demo_organizer")
    assert "管理员的" not in await org.page("/admin/schedules")
    await org.page(f"/admin/schedules/{schedule.id}", status=403)
    resp = await org.post(f"/admin/schedules/{schedule.id}/pause")
    assert resp.status == 403
    (schedule,) = await _schedules(admin.bot)
    assert schedule.status == "active"


async def test_edit_changes_the_time(console):
    c = await console("demo_admin")
    await c.post("/admin/schedules/new", {"name": "周报", "when": "每周一 9:00", "to": "@demo_staff"})
    (schedule,) = await _schedules(c.bot)
    form = await c.page(f"/admin/schedules/{schedule.id}/edit")
    assert "@demo_staff" in form
    preview = await c.post(
        f"/admin/schedules/{schedule.id}/edit/preview", {"name": "周报", "when": "每周五 15:00", "to": "@demo_staff"}
    )
    page = await preview.text()
    assert "将修改 #" in page and "规则：" in page and "15:00" in page
    assert "15:00" not in await c.page(f"/admin/schedules/{schedule.id}"), "a preview changes nothing"
    resp = await c.post(
        f"/admin/schedules/{schedule.id}/edit", {"name": "周报", "when": "每周五 15:00", "to": "@demo_staff"}
    )
    assert resp.status == 303, await resp.text()
    assert "15:00" in await c.page(f"/admin/schedules/{schedule.id}")


async def test_month_calendar_shows_holidays_swaps_and_pushes(console):
    c = await console("demo_admin")
    await c.post("/admin/schedules/new", {"name": "周报", "when": "每周一 9:00", "to": "@demo_staff"})
    page = await c.page("/admin/schedules/calendar", month="2026-10")
    assert "国庆节" in page and "调休上班" in page
    page = await c.page("/admin/schedules/calendar", month="2026-12")
    assert "09:00 周报" in page


async def test_picker_offers_group_chats_already_pushed_to_admins_only(console):
    c = await console("demo_admin")
    resp = await c.post("/admin/schedules/new", {"name": "群提醒", "when": "每周一 9:00", "to": "群:wecom:wrGROUP1"})
    assert resp.status == 303, await resp.text()
    assert 'value="群:wecom:wrGROUP1"' in await c.page("/admin/schedules/new")
    org = await console("demo_organizer")
    assert "wrGROUP1" not in await org.page("/admin/schedules/new")


async def test_records_templates_are_turned_on_by_the_record_alerts_service(console):
    """学时预警 from the console: the same service as /提醒 启用 and orgbot schedule add --template."""
    c = await console("demo_admin")
    fields = {"template": "xueshi", "when": "6月30日、9月30日"}
    preview = await (await c.post("/admin/schedules/preview", fields)).text()
    assert "6月30日" in preview and "9月30日" in preview and "仅管理员" in preview
    assert not await _schedules(c.bot)
    made = await c.post("/admin/schedules/new", fields)
    assert made.status == 303, await made.text()
    first, second = await _schedules(c.bot)
    assert first.template == second.template == "xueshi" and "6月30日" in first.name
    detail = await c.page(f"/admin/schedules/{first.id}")
    assert "下次检查点" in detail and "预览，不发送" in detail
    again = await c.post("/admin/schedules/new", fields)
    assert again.status == 303 and len(await _schedules(c.bot)) == 2, "a checkpoint already on is not doubled"
    assert await audit_rows(c.bot, action="alerts.enable", channel="console")


async def test_an_organizer_cannot_turn_on_records_templates(console):
    c = await console("demo_organizer")
    resp = await c.post("/admin/schedules/new", {"template": "houbei", "when": "6月30日"})
    page = await resp.text()
    assert resp.status == 200 and "只有管理员可以启用" in page
    assert not await _schedules(c.bot)
    assert await audit_rows(c.bot, action="schedule.create", channel="console", outcome="invalid")


async def test_behind_list_export_stays_in_scope_and_is_audited(console):
    import io

    from openpyxl import load_workbook

    admin = await console("demo_admin")
    await admin.post("/admin/schedules/new", {"template": "xueshi", "when": "6月30日"})
    (schedule,) = await _schedules(admin.bot)
    assert "behind.xlsx" in await admin.page(f"/admin/schedules/{schedule.id}")

    async def exported(c) -> set[str]:
        resp = await c.client.get("/admin/schedules/behind.xlsx")
        assert resp.status == 200 and "spreadsheetml" in resp.headers["Content-Type"]
        rows = list(load_workbook(io.BytesIO(await resp.read())).active.iter_rows(values_only=True))
        return {str(cell) for row in rows[1:] for cell in row if cell and str(cell).startswith("A1")}

    everyone = await exported(admin)
    assert everyone, "the demo has cadres behind pace"
    audited = await audit_rows(admin.bot, action="cadre.alert.export", channel="console")
    assert {row.subject for row in audited} == everyone
    organizer = await console("demo_organizer")
    theirs = await exported(organizer)
    assert theirs and theirs < everyone
    assert theirs <= {"A1001", "A1002", "A1003", "A1004", "A1012"}, "only the organizer's units (U0101 and below)"
