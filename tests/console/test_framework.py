"""The console's guards over real requests: login, timeouts, roles, CSRF, audit."""

from __future__ import annotations

from datetime import timedelta
from http.cookies import SimpleCookie

from tests.console.conftest import audit_rows


async def test_without_a_session_every_page_sends_to_login(console):
    c = await console(None)
    resp = await c.client.get("/admin/", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/admin/login"
    page = await c.page("/admin/login")
    assert "/后台" in page and "orgbot admin login-link" in page


async def test_a_console_link_lands_on_the_overview(console):
    c = await console("demo_admin")
    page = await c.page("/admin/")
    assert "概览" in page and "演示管理员" in page and "节假日数据" in page
    assert "人员与权限" in page  # the admin's menu


async def test_the_session_cookie_is_locked_down(console):
    c = await console(None)
    from bot.auth.logins import LoginService
    from tests.console.conftest import CLI

    link = await LoginService(c.bot).issue_link("demo_admin", CLI, "/admin/")
    token = link.url.split("?t=", 1)[1].split("&", 1)[0]
    resp = await c.client.post("/login", data={"t": token, "next": "/admin/"}, allow_redirects=False)
    morsel = SimpleCookie(resp.headers["Set-Cookie"])["orgbot_session"]
    assert morsel["httponly"] and morsel["samesite"] == "Strict"


async def test_secure_cookies_from_the_console_section(console):
    c = await console(None, ORGBOT_CONSOLE_SECURE_COOKIES="true")
    from bot.auth.logins import LoginService
    from tests.console.conftest import CLI

    link = await LoginService(c.bot).issue_link("demo_admin", CLI, "/admin/")
    token = link.url.split("?t=", 1)[1].split("&", 1)[0]
    resp = await c.client.post("/login", data={"t": token, "next": "/admin/"}, allow_redirects=False)
    morsel = SimpleCookie(resp.headers["Set-Cookie"])["__Host-orgbot_session"]
    assert morsel["secure"] and morsel["httponly"] and morsel["samesite"] == "Strict"


async def test_a_link_never_lands_outside_the_site(console):
    c = await console(None)
    from bot.auth.logins import LoginService
    from tests.console.conftest import CLI

    link = await LoginService(c.bot).issue_link("demo_admin", CLI)
    token = link.url.split("?t=", 1)[1]
    resp = await c.client.post("/login", data={"t": token, "next": "//evil.example/"}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/"


async def test_idle_and_absolute_timeouts_send_to_login(console, clock):
    c = await console("demo_admin", ORGBOT_CONSOLE_IDLE_MINUTES="10", ORGBOT_CONSOLE_MAX_HOURS="1")
    clock.advance(timedelta(minutes=11))
    resp = await c.client.get("/admin/", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/admin/login"
    # The web chat's own, longer limit still holds: the console is stricter, not the only rule.
    c2 = await console("demo_admin")
    for _ in range(7):
        clock.advance(timedelta(minutes=9))
        await c2.page("/admin/")
    clock.advance(timedelta(minutes=9))
    resp = await c2.client.get("/admin/", allow_redirects=False)
    assert resp.status == 303, "older than [console] max_hours: logged out however active"


async def test_logout_ends_the_console_session(console):
    c = await console("demo_admin")
    resp = await c.client.post("/logout", data={"csrf": c.csrf}, allow_redirects=False)
    assert resp.status == 303
    resp = await c.client.get("/admin/", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/admin/login"


async def test_staff_are_refused_and_organizers_do_not_see_admin_pages(console):
    staff = await console("demo_staff")
    await staff.page("/admin/", status=403)
    org = await console("demo_organizer")
    page = await org.page("/admin/")
    assert "人员与权限" not in page and "审计日志" not in page
    await org.page("/admin/staff", status=403)
    refused = await audit_rows(org.bot, actor="demo_organizer", channel="console", outcome="refused")
    assert refused, "a refused page is audited"


async def test_disabled_console_is_not_there(console):
    c = await console(None, ORGBOT_CONSOLE_ENABLED="false")
    resp = await c.client.get("/admin/", allow_redirects=False)
    assert resp.status == 404


async def test_houtai_in_a_private_im_chat_links_an_organizer_to_the_console(console):
    from tests.conftest import add_staff, say

    c = await console(None)
    await add_staff(c.bot, "wang5", "王五", role="organizer", unit="U0101", im=(("wecom", "wangwu"),))
    await add_staff(c.bot, "li4", "李四", role="staff", im=(("wecom", "lisi"),))
    reply = await say(c.bot, "wangwu", "/后台", channel="wecom")
    assert "管理后台登录链接" in reply and "next=/admin/" in reply
    token = reply.split("/login?t=", 1)[1].split("&", 1)[0]
    resp = await c.client.post("/login", data={"t": token, "next": "/admin/"}, allow_redirects=False)
    assert resp.headers["Location"] == "/admin/"
    assert "王五" in await c.page("/admin/")
    staff_reply = await say(c.bot, "lisi", "/后台", channel="wecom")
    assert "next=" not in staff_reply, "staff have no console: their link opens the web chat"


async def test_a_browser_post_with_origin_null_is_judged_by_sec_fetch_site(console):
    c = await console("demo_admin")
    ok = await c.post("/admin/outbox/retry", headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"})
    assert ok.status == 303
    refused = await c.post("/admin/outbox/retry", headers={"Origin": "null", "Sec-Fetch-Site": "cross-site"})
    assert refused.status == 403
    refused = await c.post("/admin/outbox/retry", headers={"Origin": "null"})
    assert refused.status == 403, "Origin null without Sec-Fetch-Site is not trusted"


async def test_overview_counts_todays_and_this_weeks_pushes_and_open_receipts(console):
    c = await console("demo_admin")
    form = {"name": "今天的提醒", "when": "今天下午4点", "to": "@demo_staff", "holidays": "keep"}
    assert (await c.post("/admin/schedules/new", form)).status == 303
    notice = {"name": "周末加班会", "event": "明天下午3点", "to": "@demo_staff @demo_organizer"}
    assert (await c.post("/admin/notices/new", notice)).status == 303
    await c.bot.scheduling.fire_due()
    page = await c.page("/admin/")
    assert "今天的提醒" in page and "周末加班会" in page and "0/2" in page
    org = await console("demo_organizer")
    assert "今天的提醒" not in await org.page("/admin/"), "an organizer sees only their own schedules"
