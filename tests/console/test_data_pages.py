"""知识库, 干部数据, 审计日志, 人员与权限, 投递队列: each page over the service the CLI and chat use."""

from __future__ import annotations

import html
import io
from importlib import resources

from aiohttp import FormData
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.cadres.models import TrainingRecord
from bot.scheduling.models import OutboxRow
from tests.conftest import say
from tests.console.conftest import audit_rows

POLICY_TEXT = "第一条 党员领导干部每年参加集中培训不少于 56 学时。\n\n第二条 党费按月收缴，每月 20 日前交纳。\n"


def _files(c, field: str, files: list[tuple[str, bytes]], **fields: str) -> FormData:
    form = FormData()
    form.add_field("csrf", c.csrf)
    for key, value in fields.items():
        form.add_field(key, value)
    for name, body in files:
        form.add_field(field, body, filename=name, content_type="application/octet-stream")
    return form


async def test_upload_then_hit_test_then_remove(console):
    c = await console("demo_admin")
    await c.page("/admin/knowledge")
    resp = await c.client.post(
        "/admin/knowledge/upload", data=_files(c, "file", [("培训规定.txt", POLICY_TEXT.encode())])
    )
    page = await resp.text()
    assert resp.status == 200 and "新增 1 个" in page, page
    listing = await c.page("/admin/knowledge")
    assert "培训规定" in listing and "现行" in listing
    test = await c.page("/admin/knowledge/test", q="党费每月什么时候交")
    assert "决定：" in test and "20 日前" in test
    assert await audit_rows(c.bot, action="kb.import", channel="console", outcome="applied")
    confirm = await c.page("/admin/knowledge/remove", doc="培训规定")
    assert "确认删除" in confirm
    resp = await c.post("/admin/knowledge/remove", {"doc": "培训规定"})
    assert resp.status == 303
    assert "已删除 培训规定" in await c.page("/admin/knowledge")
    assert not await (await c.bot.kb.get()).list_documents()


async def test_a_bad_batch_changes_nothing_and_says_which_file(console):
    c = await console("demo_admin")
    await c.page("/admin/knowledge")
    files = [("好的.txt", POLICY_TEXT.encode()), ("空的.txt", b"")]
    resp = await c.client.post("/admin/knowledge/upload", data=_files(c, "file", files))
    page = await resp.text()
    assert "没有任何改动" in page and "空的" in page
    assert not await (await c.bot.kb.get()).list_documents()
    resp = await c.client.post("/admin/knowledge/upload", data=_files(c, "file", [("x.exe", b"MZ")]))
    assert "不支持的文件类型" in await resp.text()


async def test_unanswered_question_becomes_an_faq_and_chat_answers_it(console):
    c = await console("demo_admin")
    question = "演示支部换届选举要提前几个月请示"
    first = await say(c.bot, "demo_staff", question)
    kb = await c.bot.kb.get()
    (row,) = await kb.unanswered_questions()
    assert row["question"] == question, first
    page = await c.page("/admin/knowledge/unanswered")
    assert question in page and "转为常见问题" in page
    form = await c.page(f"/admin/knowledge/unanswered/{row['id']}")
    assert question in form and 'name="answer"' in form
    resp = await c.post(
        f"/admin/knowledge/unanswered/{row['id']}",
        {"answer": "应提前 3 个月向上级党组织书面请示。", "source": "《演示换届规定》第五条", "question": question},
    )
    assert resp.status == 303
    assert not await kb.unanswered_questions()
    answer = await say(c.bot, "demo_staff", question)
    assert "提前 3 个月" in answer


async def test_cadre_record_as_chat_shows_it_and_audited(console):
    admin = await console("demo_admin")
    await admin.page("/admin/cadres")
    resp = await admin.post("/admin/cadres/record", {"q": "A1002", "kind": "profile"})
    page = await resp.text()
    chat = await say(admin.bot, "demo_admin", "/干部 A1002")
    assert "000000199009030022" in chat and html.escape(chat, quote=False) in page, "exactly what chat shows"
    org = await console("demo_organizer")
    await org.page("/admin/cadres")
    page = await (await org.post("/admin/cadres/record", {"q": "A1002", "kind": "profile"})).text()
    chat = await say(org.bot, "demo_organizer", "/干部 A1002")
    assert "000000199009030022" not in page and html.escape(chat, quote=False) in page, "masked, as in chat"
    rows = await audit_rows(org.bot, actor="demo_organizer", channel="console", action="cadre.profile")
    assert rows and rows[-1].subject == "A1002"
    assert "A1001" not in page, "no bulk browsing: only the one record asked for"


async def test_cadre_import_dry_run_broken_sheet_row_report_nothing_imported(console):
    c = await console("demo_admin")
    await c.page("/admin/cadres")
    broken = resources.files("bot").joinpath("demo_data/broken/培训记录_有错误.csv").read_bytes()
    async with c.bot.db() as session:
        before = await session.scalar(select(func.count()).select_from(TrainingRecord))
    for dry in ("1", ""):
        fields = {"dry_run": dry} if dry else {}
        resp = await c.client.post("/admin/data/import", data=_files(c, "file", [("培训记录.csv", broken)], **fields))
        page = await resp.text()
        assert "导入失败" in page and "第 3 行" in page and "A9999" in page
    async with c.bot.db() as session:
        assert await session.scalar(select(func.count()).select_from(TrainingRecord)) == before
    assert await audit_rows(c.bot, action="data.import", channel="console", outcome="rejected")


async def test_template_and_export_downloads(console):
    c = await console("demo_admin")
    resp = await c.client.get("/admin/cadres/template/cadres.xlsx")
    assert resp.status == 200
    sheet = load_workbook(io.BytesIO(await resp.read())).active
    assert "干部编号*" in [cell.value for cell in sheet[1]]
    resp = await c.client.get("/admin/cadres/export/cadres.xlsx")
    rows = list(load_workbook(io.BytesIO(await resp.read())).active.iter_rows(values_only=True))
    assert any("A1002" in str(r) for r in rows) and not any("000000199009030022" in str(r) for r in rows)
    assert await audit_rows(c.bot, action="data.export", channel="console", outcome="masked")
    org = await console("demo_organizer")
    assert (await org.client.get("/admin/cadres/export/cadres.xlsx", allow_redirects=False)).status == 403


async def test_audit_filters_and_export(console):
    c = await console("demo_admin")
    await c.post("/admin/cadres/record", {"q": "A1002", "kind": "training"})
    page = await c.page("/admin/audit", cadre="A1002")
    assert "cadre.training" in page and "console" in page
    assert "cadre.training" not in await c.page("/admin/audit", cadre="A1001")
    assert "日期有误" in await c.page("/admin/audit", since="2026-13-40")
    resp = await c.client.get("/admin/audit/export.xlsx", params={"action": "cadre"})
    rows = list(load_workbook(io.BytesIO(await resp.read())).active.iter_rows(values_only=True))
    assert rows[0][0] == "时间" and any(r[5] == "cadre.training" for r in rows[1:])
    assert await audit_rows(c.bot, action="audit.export", channel="console")


async def test_staff_page_lists_roles_scopes_identities(console):
    c = await console("demo_admin")
    page = await c.page("/admin/staff")
    assert "demo_organizer" in page and "组织员" in page and "U0101" in page


async def test_outbox_failed_rows_retried(console):
    c = await console("demo_admin")
    now = c.bot.clock.now()
    async with c.bot.db() as session, session.begin():
        session.add(
            OutboxRow(
                idempotency_key="k1", fire_at=now, channel="wecom", user_id="zs", text="【提醒】测试",
                status="failed", attempts=8, next_attempt_at=now, last_error="errcode 60020 not allow to access",
            )
        )  # fmt: skip
    page = await c.page("/admin/outbox")
    assert "60020" in page and "全部重试" in page
    resp = await c.post("/admin/outbox/retry")
    assert resp.status == 303
    async with c.bot.db() as session:
        (row,) = list(await session.scalars(select(OutboxRow)))
    assert row.status == "pending" and row.attempts == 0
    assert await audit_rows(c.bot, action="outbox.retry", channel="console", outcome="ok")


async def test_staff_role_change_through_the_staff_service(console):
    c = await console("demo_admin")
    await c.page("/admin/staff")
    resp = await c.post("/admin/staff/role", {"user_id": "demo_staff", "role": "organizer", "scope": "U0102"})
    assert resp.status == 303
    page = await c.page("/admin/staff")
    assert "已将 demo_staff" in page and 'value="U0102"' in page
    assert await audit_rows(c.bot, action="staff.role", channel="console", outcome="ok")
    resp = await c.post("/admin/staff/role", {"user_id": "nobody_here", "role": "staff"})
    assert resp.status == 303
    assert "nobody_here" in await c.page("/admin/staff")


async def test_budui_feedback_lists_the_flagged_answer(console, tmp_path):
    c = await console("demo_admin")
    await c.page("/admin/knowledge")
    resp = await c.client.post(
        "/admin/knowledge/upload", data=_files(c, "file", [("党费规定.txt", POLICY_TEXT.encode())])
    )
    assert "新增 1 个" in await resp.text()
    answer = await say(c.bot, "demo_staff", "党费每月什么时候交")
    assert "20 日前" in answer
    await say(c.bot, "demo_staff", "不对")
    page = await c.page("/admin/knowledge/feedback")
    assert "党费每月什么时候交" in page and "不对" in page and "党费规定" in page


async def test_lists_are_paginated(console):
    c = await console("demo_admin", ORGBOT_CONSOLE_PAGE_SIZE="10")
    kb = await c.bot.kb.get()
    for i in range(12):
        await kb.record_unanswered(f"分页问题{i:02d}", user_id="demo_staff")
        await c.post("/admin/schedules/new", {"name": f"分页提醒{i:02d}", "when": "每周一 9:00", "to": "@demo_staff"})
    first = await c.page("/admin/knowledge/unanswered")
    assert first.count("转为常见问题") == 10 and "下一页" in first and "分页问题11" in first
    second = await c.page("/admin/knowledge/unanswered", page="2")
    assert second.count("转为常见问题") == 2 and "下一页" not in second and "上一页" in second
    listed = await c.page("/admin/schedules", page="2")
    assert "分页提醒10" in listed and "分页提醒11" in listed and "分页提醒09" not in listed and "共 12 条" in listed


async def test_uploads_larger_than_api_bodies_but_not_than_the_console_limit(console):
    c = await console("demo_admin", ORGBOT_CONSOLE_UPLOAD_MAX_MB="3")
    await c.page("/admin/knowledge")
    article = "第一条 " + "党费按月收缴，每月 20 日前交纳。" * 20 + "\n\n"  # 932 bytes
    big = article * 2000  # ~1.8 MiB: over [server] max_body_bytes, under the console's 3 MiB
    assert len(big.encode()) > c.bot.config.server.max_body_bytes
    resp = await c.client.post("/admin/knowledge/upload", data=_files(c, "file", [("大文件.txt", big.encode())]))
    assert resp.status == 200 and "新增 1 个" in await resp.text()
    too_big = big.encode() * 2
    resp = await c.client.post("/admin/knowledge/upload", data=_files(c, "file", [("太大.txt", too_big)]))
    assert resp.status == 413 and "3 MiB" in await resp.text()


async def test_staff_identities_bound_and_unbound_through_the_staff_service(console):
    c = await console("demo_admin")
    page = await c.page("/admin/staff")
    assert 'action="/admin/staff/identities"' in page
    resp = await c.post("/admin/staff/identities", {"user_id": "demo_staff", "wecom": "ZhangWei01", "feishu": ""})
    assert resp.status == 303
    page = await c.page("/admin/staff")
    assert "已更新 demo_staff" in page and "wecom:ZhangWei01" in page
    assert await audit_rows(c.bot, action="staff.identities", channel="console", outcome="ok")
    await c.post("/admin/staff/identities", {"user_id": "demo_staff"})
    assert "wecom:ZhangWei01" not in await c.page("/admin/staff"), "an emptied field unbinds"
    resp = await c.post("/admin/staff/identities", {"user_id": "nobody_here", "wecom": "X"})
    assert resp.status == 303
    assert "nobody_here" in await c.page("/admin/staff")
    assert await audit_rows(c.bot, action="staff.identities", channel="console", outcome="invalid")


async def test_an_organizer_cannot_change_identities(console):
    c = await console("demo_organizer")
    resp = await c.post("/admin/staff/identities", {"user_id": "demo_staff", "wecom": "Hijack"})
    assert resp.status == 403
    async with c.bot.db() as session:
        from bot.storage.models import Identity

        assert not list(await session.scalars(select(Identity).where(Identity.platform_user_id == "Hijack")))
