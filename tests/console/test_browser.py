"""The console in a real browser: Debian's chromium driven by Playwright, one browser and one server per module.

Set ORGBOT_CONSOLE_SCREENSHOTS=1 to write a screenshot of each page to docs/console/ (used by docs/console.md).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from bot.app import OrgBot
from bot.auth.logins import Actor, LoginService
from bot.cadres.demo import seed_demo
from bot.cadres.models import TrainingRecord
from bot.channels.local import LocalChannel
from bot.clock import ManualClock
from bot.config import load_config
from bot.messages import ChatType, Incoming
from bot.scheduling.actor import operator
from tests.security.conftest import NOW
from tests.test_cli import orgbot

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "console"
POLICY_TEXT = "第一条 党员领导干部每年参加集中培训不少于 56 学时。\n\n第二条 党费按月收缴，每月 20 日前交纳。\n"

pytestmark = pytest.mark.asyncio(loop_scope="module")
playwright_api = pytest.importorskip("playwright.async_api")


@dataclass
class Site:
    bot: OrgBot
    clock: ManualClock
    url: str
    db_url: str

    async def link(self, user_id: str) -> str:
        return (await LoginService(self.bot).issue_link(user_id, Actor("cli:test", "cli", "cli"), "/admin/")).url

    async def say(self, user: str, text: str) -> str:
        message = Incoming(
            channel="terminal", chat_id=f"dm:{user}", chat_type=ChatType.PRIVATE, sender_id=user, text=text,
            mentioned_bot=True,
        )  # fmt: skip
        return "\n".join(r.text for r in await self.bot.handle(message) or [])


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(template_databases: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    folder = tmp_path_factory.mktemp("console-browser")
    shutil.copyfile(template_databases["sqlite"], folder / "orgbot.db")
    db_url = f"sqlite+aiosqlite:///{folder / 'orgbot.db'}"
    config = load_config(
        None,
        environ={
            "ORGBOT_DATABASE_URL": db_url,
            "ORGBOT_API_TOKEN": "test-token",
            "ORGBOT_KNOWLEDGE_INDEX_DIR": str(folder / "index"),
        },
    )
    clock = ManualClock(NOW)
    bot = OrgBot(config, clock=clock)
    bot.add_channel(LocalChannel())
    await bot.start(background=False, answering=True)
    await seed_demo(bot)
    server = TestServer(bot.web_app(), host="127.0.0.1")
    await server.start_server()
    url = str(server.make_url("")).rstrip("/")
    bot.config.login.base_url = url  # the links point at this test server
    yield Site(bot, clock, url, db_url)
    await server.close()
    await bot.stop(timeout=2)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (.ci/run installs it with apt)")
    async with playwright_api.async_playwright() as p:
        try:
            b = await p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        except Exception as exc:  # pragma: no cover - a machine whose chromium cannot start
            pytest.skip(f"chromium does not start here: {exc}")
        yield b
        await b.close()


async def shot(page: Any, name: str) -> None:
    if os.environ.get("ORGBOT_CONSOLE_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


async def logged_in(browser: Any, site: Site, user_id: str) -> Any:
    """A fresh browser profile that followed a one-time console link and pressed 登录."""
    context = await browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = await context.new_page()
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.goto(await site.link(user_id))
    await page.click("button:has-text('登录')")
    await page.wait_for_url(f"{site.url}/admin/")
    return page


async def test_login_by_link_lands_on_the_overview(browser, site):
    page = await logged_in(browser, site, "demo_admin")
    assert "概览" in await page.title()
    assert await page.is_visible("text=节假日数据")
    await shot(page, "overview")
    await page.context.close()


async def test_reminder_from_the_form_with_preview_then_in_cli_list(browser, site):
    page = await logged_in(browser, site, "demo_admin")
    await page.click("nav >> text=定时提醒")
    await page.click("text=新建提醒")
    await page.fill("#name", "支部材料报送")
    await page.fill("#when", "每月最后一个工作日 16:00")
    await page.fill("#to", "单位:U0101")
    await playwright_api.expect(page.locator("#live-preview")).to_contain_text("16:00")  # the fetch() preview
    assert "接下来 5 次发送" in await page.inner_text("#live-preview")
    await shot(page, "schedule-form")
    await page.click("#save")
    await page.wait_for_selector("text=已创建")
    await shot(page, "schedule")
    listed = await asyncio.to_thread(orgbot, "schedule", "list", db_url=site.db_url)
    assert listed.returncode == 0 and "支部材料报送" in listed.stdout, listed.stderr
    await page.click("nav >> text=定时提醒")
    await shot(page, "schedules")
    await page.click("text=月历")
    await shot(page, "calendar")
    await page.context.close()


async def test_upload_a_document_then_hit_test_it(browser, site):
    page = await logged_in(browser, site, "demo_admin")
    await page.click("nav >> text=知识库")
    await page.set_input_files(
        "input[name=file]", files=[{"name": "党费规定.txt", "mimeType": "text/plain", "buffer": POLICY_TEXT.encode()}]
    )
    await page.click("#upload")
    assert "新增 1 个" in await page.inner_text("#kb-report")
    await page.click("text=返回文档列表")
    await shot(page, "knowledge")
    await page.click("text=命中测试")
    await page.fill("input[name=q]", "党费每月什么时候交")
    await page.click("#test")
    await page.wait_for_selector("text=决定：")
    assert "20 日前" in await page.content()
    await shot(page, "hit-test")
    assert "20 日前" in await site.say("demo_staff", "党费每月什么时候交")
    await site.say("demo_staff", "不对")
    await page.click("text=“不对”反馈")
    assert "党费规定" in await page.content()
    await shot(page, "feedback")
    await page.context.close()


async def test_broken_cadre_sheet_shows_the_row_report_and_imports_nothing(browser, site):
    async with site.bot.db() as session:
        before = await session.scalar(select(func.count()).select_from(TrainingRecord))
    page = await logged_in(browser, site, "demo_admin")
    await page.click("nav >> text=干部数据")
    broken = resources.files("bot").joinpath("demo_data/broken/培训记录_有错误.csv").read_bytes()
    await page.set_input_files(
        "input[name=file]", files=[{"name": "培训记录.csv", "mimeType": "text/csv", "buffer": broken}]
    )
    await page.uncheck("input[name=dry_run]")
    await page.click("#import")
    report = await page.inner_text("#import-report")
    assert "导入失败" in report and "第 3 行" in report and "A9999" in report
    await shot(page, "import-report")
    async with site.bot.db() as session:
        assert await session.scalar(select(func.count()).select_from(TrainingRecord)) == before
    await page.go_back()
    await page.fill("input[name=q]", "A1002")
    await page.click("#lookup")
    assert "A1002" in await page.inner_text("#record")
    await shot(page, "cadres")
    await page.context.close()


async def test_unanswered_question_to_faq_then_chat_answers(browser, site):
    question = "演示支部换届选举要提前几个月请示"
    await site.say("demo_staff", question)
    page = await logged_in(browser, site, "demo_admin")
    await page.goto(f"{site.url}/admin/knowledge/unanswered")
    await shot(page, "unanswered")
    await page.click("text=转为常见问题")
    await page.fill("#answer", "应提前 3 个月向上级党组织书面请示。")
    await page.fill("#source", "《演示换届规定》第五条")
    await shot(page, "faq-form")
    await page.click("#save-faq")
    await page.wait_for_selector("text=已添加常见问题")
    assert "提前 3 个月" in await site.say("demo_staff", question)
    await page.context.close()


async def test_organizer_refused_a_unit_outside_scope(browser, site):
    page = await logged_in(browser, site, "demo_organizer")
    assert not await page.is_visible("nav >> text=人员与权限")
    await page.goto(f"{site.url}/admin/schedules/new")
    await page.fill("#name", "越权推送")
    await page.fill("#when", "明天上午9点")
    await page.fill("#to", "单位:U0102")
    await page.click("#save")
    assert "不在您管理的范围" in await page.inner_text("p.error")
    await page.context.close()


async def test_a_form_without_its_csrf_token_is_refused(browser, site):
    page = await logged_in(browser, site, "demo_admin")
    await page.goto(f"{site.url}/admin/schedules/new")
    await page.fill("#name", "没有令牌")
    await page.fill("#when", "每周一 9:00")
    await page.fill("#to", "@demo_staff")
    await page.evaluate("document.querySelector('#schedule-form input[name=csrf]').remove()")
    await page.click("#save")
    assert "安全校验失败" in await page.content()
    listed = await site.bot.scheduling.reminders.listing(operator("test"))
    assert all(item.schedule.name != "没有令牌" for item in listed)
    await page.context.close()


async def test_an_expired_session_is_sent_to_login(browser, site):
    page = await logged_in(browser, site, "demo_admin")
    site.clock.advance(timedelta(minutes=site.bot.config.console.idle_minutes + 1))
    await page.goto(f"{site.url}/admin/schedules")
    assert page.url.endswith("/admin/login") and "请先登录" in await page.content()
    await shot(page, "login")
    await page.context.close()


ADMIN_PAGES = [
    ("/admin/notices", "notices"),
    ("/admin/audit", "audit"),
    ("/admin/staff", "staff"),
    ("/admin/outbox", "outbox"),
]


async def test_every_page_works_as_admin_and_in_scope_as_organizer(browser, site):
    page = await logged_in(browser, site, "demo_admin")
    await page.goto(f"{site.url}/admin/notices/new")
    await page.fill("#name", "第四季度支部党员大会")
    await page.fill("#event", "12月5日下午3点")
    await page.fill("#to", "@demo_staff @demo_organizer")
    await page.click("text=发送通知")
    await page.wait_for_selector("text=已创建会议通知")
    await site.bot.scheduling.fire_due()
    await site.say("demo_staff", "收到")
    await page.reload()
    await shot(page, "notice")
    for path, name in ADMIN_PAGES:
        response = await page.goto(f"{site.url}{path}")
        assert response is not None and response.status == 200, path
        await shot(page, name)
    await page.context.close()
    org = await logged_in(browser, site, "demo_organizer")
    for path in ("/admin/", "/admin/schedules", "/admin/schedules/calendar", "/admin/notices", "/admin/cadres"):
        response = await org.goto(f"{site.url}{path}")
        assert response is not None and response.status == 200, path
    response = await org.goto(f"{site.url}/admin/audit")
    assert response is not None and response.status == 403
    await org.context.close()
