"""The web chat page's personal login, attacked over real requests on loopback.

Before: the page trusted a user_id typed into it, so whoever had the API token was admin.
Now: a one-time link opens a session; the cookie decides who speaks; every
state-changing request carries the session's CSRF token.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.auth.logins import Actor, LoginService, csrf_for
from bot.auth.models import LoginLink, LoginSession
from bot.messages import Outgoing, Reply, Target
from bot.storage.models import AuditEntry
from tests.conftest import add_staff, say
from tests.security.conftest import A1002_ID_NUMBER

CLI = Actor("cli:test", "cli", "cli")


async def new_link(bot, user_id: str = "demo_admin") -> str:
    link = await LoginService(bot).issue_link(user_id, CLI)
    return link.url.split("?t=", 1)[1]


async def log_in(client, token: str):
    """What a browser does with a link: open it (confirmation page), then press 登录."""
    page = await client.get("/login", params={"t": token})
    assert page.status == 200, await page.text()
    return await client.post("/login", data={"t": token}, allow_redirects=False)


def csrf_of(client, bot) -> str:
    cookie = next(c for c in client.session.cookie_jar if c.key in ("orgbot_session", "__Host-orgbot_session"))
    return csrf_for(cookie.value)


async def chat(client, text: str, csrf: str | None, **extra_headers: str):
    headers = {**({"X-CSRF-Token": csrf} if csrf is not None else {}), **extra_headers}
    return await client.post("/web/chat", json={"text": text}, headers=headers)


async def test_without_a_cookie_the_page_asks_to_log_in(running):
    _, client = await running()
    resp = await client.get("/")
    assert resp.status == 200
    page = await resp.text()
    assert "请先登录" in page and "/登录" in page and "orgbot admin login-link" in page
    assert "X-CSRF-Token" not in page
    resp = await chat(client, "/干部 A1002", "anything")
    assert resp.status == 401 and (await resp.json())["login"] is True
    assert (await client.post("/web/inbox")).status == 401


async def test_a_link_logs_in_once_and_the_cookie_is_locked_down(running):
    bot, client = await running()
    token = await new_link(bot)
    confirm = await client.get("/login", params={"t": token})
    assert "演示管理员" in await confirm.text()
    assert confirm.headers["X-Frame-Options"] == "DENY" and confirm.headers["Referrer-Policy"] == "no-referrer"
    resp = await client.post("/login", data={"t": token}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/"
    morsel = SimpleCookie(resp.headers["Set-Cookie"])["orgbot_session"]
    assert morsel["httponly"] and morsel["samesite"] == "Strict" and morsel["path"] == "/"
    assert not morsel["secure"]
    assert int(morsel["max-age"]) == bot.config.login.max_hours * 3600
    page = await (await client.get("/")).text()
    assert "演示管理员" in page and csrf_of(client, bot) in page
    answer = await chat(client, "/干部 A1002", csrf_of(client, bot))
    assert answer.status == 200 and A1002_ID_NUMBER in str(await answer.json())
    # Only a hash is stored: the database does not hold the link or the session secret.
    async with bot.db() as session:
        stored = [r.token_hash for r in await session.scalars(select(LoginLink))]
        stored += [r.token_hash for r in await session.scalars(select(LoginSession))]
        audited = [(r.actor, r.action) for r in await session.scalars(select(AuditEntry))]
    secret = next(c.value for c in client.session.cookie_jar)
    assert token not in stored and secret not in stored
    assert ("demo_admin", "login") in audited


async def test_a_replayed_link_is_refused(running):
    bot, client = await running()
    token = await new_link(bot)
    assert (await log_in(client, token)).status == 303
    client.session.cookie_jar.clear()
    replay = await client.post("/login", data={"t": token}, allow_redirects=False)
    assert replay.status == 403 and "用过" in await replay.text()
    assert "Set-Cookie" not in replay.headers
    assert (await client.get("/login", params={"t": token})).status == 403


async def test_concurrent_redeems_of_one_link_open_one_session(running):
    bot, client = await running()
    token = await new_link(bot)
    results = await asyncio.gather(
        *(client.post("/login", data={"t": token}, allow_redirects=False) for _ in range(10))
    )
    assert sorted(r.status for r in results) == [303] + [403] * 9
    async with bot.db() as session:
        assert len(list(await session.scalars(select(LoginSession)))) == 1


async def test_an_expired_link_is_refused(running, clock):
    bot, client = await running()
    token = await new_link(bot)
    clock.advance(timedelta(minutes=bot.config.login.link_minutes, seconds=1))
    resp = await client.post("/login", data={"t": token}, allow_redirects=False)
    assert resp.status == 403 and "过期" in await resp.text()


async def test_a_link_for_a_guest_or_an_unknown_person_cannot_be_made(running):
    bot, _ = await running()
    from bot.auth.logins import LoginError

    with pytest.raises(LoginError):
        await LoginService(bot).issue_link("nobody_here", CLI)


async def test_secure_cookies_give_a_secure_host_prefixed_cookie(running):
    bot, client = await running(ORGBOT_LOGIN_SECURE_COOKIES="true")
    resp = await log_in(client, await new_link(bot))
    assert resp.status == 303
    morsel = SimpleCookie(resp.headers["Set-Cookie"])["__Host-orgbot_session"]
    assert morsel["secure"] and morsel["httponly"] and morsel["samesite"] == "Strict"


async def test_csrf_missing_or_wrong_is_403_and_changes_nothing(running):
    bot, client = await running()
    assert (await log_in(client, await new_link(bot))).status == 303
    other = csrf_for("another-session-secret")
    for wrong in (None, "", "x" * 64, other):
        resp = await chat(client, "/干部 A1002", wrong)
        assert resp.status == 403, wrong
        assert "CSRF" in (await resp.json())["error"]
    good = csrf_of(client, bot)
    assert (await chat(client, "/帮助", good, Origin="http://evil.example")).status == 403
    assert (await chat(client, "/帮助", good, **{"Sec-Fetch-Site": "cross-site"})).status == 403
    await bot.deliver(Outgoing(Target("local", user_id="demo_admin"), Reply("请于周五前报送")))
    assert (await client.post("/web/inbox")).status == 403
    async with bot.db() as session:
        looked_up = [r for r in await session.scalars(select(AuditEntry)) if r.subject == "A1002"]
    assert looked_up == []
    inbox = await client.post("/web/inbox", headers={"X-CSRF-Token": good})
    assert [m["text"] for m in (await inbox.json())["messages"]] == ["请于周五前报送"]


async def test_the_page_speaks_and_reads_only_as_the_logged_in_person(running):
    bot, client = await running()
    assert (await log_in(client, await new_link(bot, "demo_staff"))).status == 303
    csrf = csrf_of(client, bot)
    await bot.deliver(Outgoing(Target("local", user_id="demo_admin"), Reply("给管理员的")))
    await bot.deliver(Outgoing(Target("local", user_id="demo_staff"), Reply("给工作人员的")))
    resp = await client.post(
        "/web/chat", json={"text": "/帮助", "user_id": "demo_admin"}, headers={"X-CSRF-Token": csrf}
    )
    assert resp.status == 200
    inbox = await client.post("/web/inbox", json={"user_id": "demo_admin"}, headers={"X-CSRF-Token": csrf})
    assert [m["text"] for m in (await inbox.json())["messages"]] == ["给工作人员的"]
    await chat(client, "/干部 A1002", csrf)
    async with bot.db() as session:
        actors = {r.actor for r in await session.scalars(select(AuditEntry)) if r.channel == "web"}
    assert actors == {"demo_staff"}


async def test_logout_ends_the_session_even_for_a_copied_cookie(running):
    bot, client = await running()
    assert (await log_in(client, await new_link(bot))).status == 303
    secret = next(c.value for c in client.session.cookie_jar)
    csrf = csrf_of(client, bot)
    refused = await client.post("/logout", data={}, allow_redirects=False)
    assert refused.status == 403
    assert (await chat(client, "/帮助", csrf)).status == 200
    resp = await client.post("/logout", data={"csrf": csrf}, allow_redirects=False)
    assert resp.status == 303
    assert SimpleCookie(resp.headers["Set-Cookie"])["orgbot_session"].value == ""
    client.session.cookie_jar.update_cookies({"orgbot_session": secret})
    assert "请先登录" in await (await client.get("/")).text()
    assert (await chat(client, "/帮助", csrf)).status == 401


async def test_idle_expiry_on_a_manual_clock(running, clock):
    bot, client = await running()
    idle = timedelta(minutes=bot.config.login.idle_minutes)
    assert (await log_in(client, await new_link(bot))).status == 303
    csrf = csrf_of(client, bot)
    for _ in range(3):  # activity keeps the session alive past several idle periods
        clock.advance(idle - timedelta(minutes=1))
        assert (await chat(client, "/帮助", csrf)).status == 200
    clock.advance(idle)
    assert (await chat(client, "/帮助", csrf)).status == 401


async def test_background_inbox_polling_does_not_keep_an_unattended_page_logged_in(running, clock):
    bot, client = await running()
    assert (await log_in(client, await new_link(bot))).status == 303
    headers = {"X-CSRF-Token": csrf_of(client, bot)}
    for _ in range(bot.config.login.idle_minutes - 1):
        clock.advance(timedelta(minutes=1))
        assert (await client.post("/web/inbox", headers=headers)).status == 200
    clock.advance(timedelta(minutes=1))
    assert (await client.post("/web/inbox", headers=headers)).status == 401


async def test_absolute_expiry_on_a_manual_clock(running, clock):
    bot, client = await running()
    idle = timedelta(minutes=bot.config.login.idle_minutes)
    absolute = timedelta(hours=bot.config.login.max_hours)
    assert (await log_in(client, await new_link(bot))).status == 303
    csrf = csrf_of(client, bot)
    spent = timedelta(0)
    while spent + idle / 2 < absolute:
        clock.advance(idle / 2)
        spent += idle / 2
        assert (await chat(client, "/帮助", csrf)).status == 200
    clock.advance(absolute - spent)
    assert (await chat(client, "/帮助", csrf)).status == 401


async def test_a_deactivated_person_loses_the_session(running):
    bot, client = await running()
    assert (await log_in(client, await new_link(bot, "demo_staff"))).status == 303
    from bot.storage.models import Staff

    async with bot.db() as session, session.begin():
        staff = await session.scalar(select(Staff).where(Staff.user_id == "demo_staff"))
        assert staff is not None
        staff.active = False
    assert (await chat(client, "/帮助", csrf_of(client, bot))).status == 401


async def test_login_command_sends_a_link_in_a_private_im_chat_only(running):
    bot, client = await running()
    await add_staff(bot, "zhang3", "张三", im=(("wecom", "zhangsan"),))
    in_group = await say(bot, "zhangsan", "/登录", group=True, channel="wecom")
    assert "私聊" in in_group and "/login?t=" not in in_group
    refused = await say(bot, "stranger", "/登录", channel="wecom")
    assert "工作人员权限" in refused and "/login?t=" not in refused
    assert "orgbot admin login-link" in await say(bot, "zhang3", "/登录", channel="terminal")
    reply = await say(bot, "zhangsan", "/后台", channel="wecom")
    token = reply.split("/login?t=", 1)[1].split()[0]
    assert (await log_in(client, token)).status == 303
    assert "张三" in await (await client.get("/")).text()


random_secrets = st.text(alphabet=st.characters(codec="ascii", categories=("L", "N", "P")), min_size=0, max_size=60)


@pytest.fixture
async def quiet_app(running):
    return await running()


@settings(max_examples=20, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(guess=random_secrets)
async def test_invariant_guessed_links_and_cookies_never_log_in(quiet_app, guess):
    _, client = quiet_app
    resp = await client.post("/login", data={"t": guess}, allow_redirects=False)
    assert resp.status in (400, 403) and "Set-Cookie" not in resp.headers
    client.session.cookie_jar.update_cookies({"orgbot_session": guess})
    resp = await chat(client, "/帮助", csrf_for(guess))
    assert resp.status == 401
    client.session.cookie_jar.clear()


async def test_orgbot_admin_login_link_prints_a_working_link_and_logout_ends_sessions(running, db_url, clock):
    from datetime import UTC, datetime

    from tests.test_cli import orgbot

    clock.set(datetime.now(UTC))  # the CLI subprocess runs on the real clock
    bot, client = await running()
    port = client.server.port
    env = {"ORGBOT_LOGIN_BASE_URL": f"http://127.0.0.1:{port}"}
    unknown = await asyncio.to_thread(orgbot, "admin", "login-link", "nobody_here", db_url=db_url, env=env)
    assert unknown.returncode == 2 and "nobody_here" in unknown.stderr
    made = await asyncio.to_thread(orgbot, "admin", "login-link", "demo_admin", "--chat", db_url=db_url, env=env)
    assert made.returncode == 0, made.stderr
    url = next(line for line in made.stdout.splitlines() if line.startswith("http"))
    assert url.startswith(f"http://127.0.0.1:{port}/login?t=")
    assert (await log_in(client, url.split("?t=", 1)[1])).status == 303
    csrf = csrf_of(client, bot)
    assert (await chat(client, "/帮助", csrf)).status == 200
    ended = await asyncio.to_thread(orgbot, "admin", "logout", "demo_admin", db_url=db_url)
    assert ended.returncode == 0 and "1 个" in ended.stdout
    assert (await chat(client, "/帮助", csrf)).status == 401


async def test_the_demo_logs_its_identities_in_directly_and_says_so(running, tmp_path):
    from bot.config import load_config
    from bot.demo import demo_login_links, write_demo_config

    config = load_config(write_demo_config(tmp_path / "demo", 8080), environ={})
    assert config.api.act_as == ["*"]
    assert "Demo only" in (tmp_path / "demo" / "orgbot.toml").read_text(encoding="utf-8")
    bot, client = await running()
    links = await demo_login_links(bot)
    assert [(user, label) for user, label, _ in links] == [
        ("demo_admin", "管理员"),
        ("demo_organizer", "组织员"),
        ("demo_staff", "工作人员"),
    ]
    for user_id, _, url in links:
        client.session.cookie_jar.clear()
        assert (await log_in(client, url.split("?t=", 1)[1])).status == 303
        name = {"demo_admin": "演示管理员", "demo_organizer": "演示组织员", "demo_staff": "演示·张伟"}[user_id]
        assert name in await (await client.get("/")).text()


async def test_a_cross_site_form_cannot_log_a_victim_in_to_the_attackers_account(running):
    """Login CSRF: an attacker's page posting the attacker's own link is refused, and the link is not burnt."""
    bot, client = await running()
    token = await new_link(bot, "demo_staff")
    for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        resp = await client.post("/login", data={"t": token}, headers=headers, allow_redirects=False)
        assert resp.status == 403 and "Set-Cookie" not in resp.headers
    assert (await log_in(client, token)).status == 303
