"""The login pages and the session cookie: ``GET/POST /login``, ``POST /logout``.

A link is used up by a POST from a confirmation page, not by the GET itself: IM apps
fetch links to draw previews, which would otherwise burn them, and a cookie set at
the end of a cross-site navigation is not sent back under SameSite=Strict until the
next same-site request, which the confirmation form provides.
"""

from __future__ import annotations

import html
from importlib import resources
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aiohttp import web

from bot.auth.logins import LANDINGS, LoginError, LoginService, WebSession, csrf_matches

if TYPE_CHECKING:
    from bot.app import OrgBot

COOKIE = "orgbot_session"
SECURE_COOKIE = "__Host-orgbot_session"  # the __Host- prefix: Secure, Path=/, no Domain, so no subdomain can set it
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}
HOW_TO_LOGIN = (
    "<p>请在企业微信、钉钉或飞书中<strong>私聊</strong>机器人，发送 <code>/登录</code>，"
    "再点开收到的一次性链接。</p>"
    "<p class='note'>没有企业 IM 时，请管理员在服务器上运行 <code>orgbot admin login-link 您的用户ID</code>。</p>"
)


def secure_cookies(bot: OrgBot) -> bool:
    """One cookie serves the web chat and the console: Secure when either section asks for it."""
    console = bot.config.console
    return bot.config.login.secure_cookies or (console.enabled and console.secure_cookies)


def cookie_name(bot: OrgBot) -> str:
    return SECURE_COOKIE if secure_cookies(bot) else COOKIE


def render_page(bot: OrgBot, title: str, body_html: str, status: int = 200) -> web.Response:
    """A small self-contained page; ``body_html`` must already be escaped."""
    template = resources.files("bot").joinpath("static/login.html").read_text(encoding="utf-8")
    text = (
        template.replace("{{TITLE}}", html.escape(title))
        .replace("{{BOT_NAME}}", html.escape(bot.config.bot.name))
        .replace("{{BODY}}", body_html)
    )
    return web.Response(text=text, content_type="text/html", status=status, headers=PAGE_HEADERS)


def login_needed_page(bot: OrgBot) -> web.Response:
    return render_page(bot, "请先登录", HOW_TO_LOGIN)


async def current_session(request: web.Request, bot: OrgBot, *, activity: bool = True) -> WebSession | None:
    return await LoginService(bot).session(request.cookies.get(cookie_name(bot), ""), activity=activity)


def same_origin(request: web.Request, bot: OrgBot) -> bool:
    """Refuse requests a browser marks as coming from another site (a second wall beside SameSite and CSRF)."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    # Under Referrer-Policy: no-referrer a browser sends "Origin: null" with its own form posts;
    # Sec-Fetch-Site, which no page can set, then says whether the post came from this site.
    if origin is None or (origin == "null" and site == "same-origin"):
        return True
    hosts = {request.host}
    if bot.config.login.base_url:
        hosts.add(urlsplit(bot.config.login.base_url).netloc)
    return urlsplit(origin).netloc in hosts


def csrf_ok(request: web.Request, bot: OrgBot, session: WebSession, given: str) -> bool:
    return same_origin(request, bot) and bool(given) and csrf_matches(session.token, given)


def set_session_cookie(response: web.StreamResponse, bot: OrgBot, session: WebSession) -> None:
    response.set_cookie(
        cookie_name(bot),
        session.token,
        max_age=bot.config.login.max_hours * 3600,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=secure_cookies(bot),
    )


class LoginPages:
    def __init__(self, bot: OrgBot) -> None:
        self.bot = bot
        self.logins = LoginService(bot)

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/login", self.confirm), web.post("/login", self.redeem), web.post("/logout", self.logout)]

    def _refused(self, reason: str) -> web.Response:
        return render_page(self.bot, "无法登录", f"<p>{html.escape(reason)}</p>{HOW_TO_LOGIN}", status=403)

    async def confirm(self, request: web.Request) -> web.Response:
        token = request.query.get("t", "")
        if not token or len(token) > 128:
            return render_page(self.bot, "缺少登录链接", f"<p>链接不完整。</p>{HOW_TO_LOGIN}", status=400)
        try:
            user = await self.logins.link_holder(token)
        except LoginError as exc:
            return self._refused(str(exc))
        body = (
            f"<p>以 <strong>{html.escape(user.name)}</strong>（{html.escape(user.role.label)}）的身份登录网页。</p>"
            '<form method="post" action="/login">'
            f'<input type="hidden" name="t" value="{html.escape(token)}">'
            f'<input type="hidden" name="next" value="{html.escape(_landing(request.query.get("next")))}">'
            "<button>登录</button></form>"
            "<p class='note'>链接只能使用一次。如果这不是您本人的链接，请关闭本页。</p>"
        )
        return render_page(self.bot, "确认登录", body)

    async def redeem(self, request: web.Request) -> web.Response:
        if not same_origin(request, self.bot):
            return self._refused("请求来自其他网站，已拒绝")
        form = await request.post()
        token = form.get("t")
        if not isinstance(token, str) or not token or len(token) > 128:
            return render_page(self.bot, "缺少登录链接", f"<p>链接不完整。</p>{HOW_TO_LOGIN}", status=400)
        try:
            session = await self.logins.redeem_link(token)
        except LoginError as exc:
            return self._refused(str(exc))
        landing = form.get("next")
        response = _see_other(_landing(landing if isinstance(landing, str) else None))
        set_session_cookie(response, self.bot, session)
        return response

    async def logout(self, request: web.Request) -> web.Response:
        session = await current_session(request, self.bot)
        if session is not None:
            form = await request.post()
            given = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD) or ""
            if not isinstance(given, str) or not csrf_ok(request, self.bot, session, given):
                return render_page(self.bot, "无法退出", "<p>安全校验失败：请刷新页面后重试。</p>", status=403)
            await self.logins.logout(session)
        response = _see_other("/")
        response.del_cookie(
            cookie_name(self.bot),
            path="/",
            secure=secure_cookies(self.bot),
            httponly=True,
            samesite="Strict",
        )
        return response


def _landing(given: str | None) -> str:
    """Only a known page of this site: a login link never redirects anywhere else."""
    return given if given in LANDINGS else "/"


def _see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={**PAGE_HEADERS, "Location": location})
