"""会议通知与回执: create, see who confirmed, 催办, export — through the receipts service."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from bot.scheduling.models import Schedule
from tests.conftest import say
from tests.console.conftest import audit_rows


async def _notice(c) -> Schedule:
    resp = await c.post(
        "/admin/notices/new",
        {"name": "支部党员大会", "event": "12月5日下午3点", "to": "@demo_staff 单位:U0102", "rereminder": "1天"},
    )
    assert resp.status == 303, await resp.text()
    async with c.bot.db() as session:
        (notice,) = list(await session.scalars(select(Schedule)))
    await c.bot.scheduling.fire_due()
    return notice


async def test_notice_receipts_nudge_and_export(console):
    c = await console("demo_admin")
    notice = await _notice(c)
    page = await c.page(f"/admin/notices/{notice.id}")
    assert "未确认（1）" in page and "演示·张伟" in page
    await say(c.bot, "demo_staff", "收到")
    page = await c.page(f"/admin/notices/{notice.id}")
    assert "已确认（1）" in page and "未确认（0）" in page
    assert "支部党员大会" in await c.page("/admin/notices")
    resp = await c.client.get(f"/admin/notices/{notice.id}/export.xlsx")
    assert resp.status == 200 and "spreadsheetml" in resp.headers["Content-Type"]
    sheet = load_workbook(io.BytesIO(await resp.read())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("用户ID", "姓名", "状态") and rows[1][0] == "demo_staff" and rows[1][2] == "已确认"
    exported = await audit_rows(c.bot, action="receipt.export", channel="console")
    assert exported and exported[-1].subject == str(notice.id)


async def test_nudge_reaches_the_unconfirmed(console):
    c = await console("demo_admin")
    notice = await _notice(c)
    resp = await c.post(f"/admin/notices/{notice.id}/nudge")
    assert resp.status == 303
    assert "已催办 1 人" in await c.page(f"/admin/notices/{notice.id}")
    assert await audit_rows(c.bot, action="receipt.nudge", channel="console", outcome="ok")


async def test_organizer_does_not_see_other_units_receipts(console):
    admin = await console("demo_admin")
    notice = await _notice(admin)
    org = await console("demo_organizer")
    page = await org.page(f"/admin/notices/{notice.id}")
    # demo_staff is in U010101, inside the organizer's U0101: shown; nobody of U0102 would be.
    assert "仅显示您管理的单位" in page and "演示·张伟" in page
    resp = await org.post("/admin/notices/new", {"name": "越权", "event": "12月5日下午3点", "to": "单位:U0102"})
    assert "不在您管理的范围" in await resp.text()


async def test_notices_are_paginated(console):
    c = await console("demo_admin", ORGBOT_CONSOLE_PAGE_SIZE="10")
    for n in range(1, 12):
        form = {"name": f"第{n}号通知", "event": "12月5日下午3点", "to": "@demo_staff", "rereminder": "不催"}
        assert (await c.post("/admin/notices/new", form)).status == 303
    first = await c.page("/admin/notices")
    assert "第11号通知" in first and "第2号通知" in first and "第1号通知" not in first
    assert "page=2" in first and "下一页" in first
    second = await c.page("/admin/notices", page="2")
    assert "第1号通知" in second and "第11号通知" not in second and "下一页" not in second
