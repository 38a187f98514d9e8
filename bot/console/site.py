"""The console as an aiohttp sub-application: one guard around every page, templates, static assets."""

from __future__ import annotations

import importlib
import logging
import pkgutil
import time
from datetime import datetime, timedelta
from importlib import resources
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
import jinja2
from aiohttp import web
from multidict import MultiDict, MultiDictProxy

from bot.access import access_for
from bot.audit_trail import AuditRecord
from bot.audit_trail import write as write_audit
from bot.auth.logins import LoginService, WebSession
from bot.auth.web import CSRF_FIELD, CSRF_HEADER, cookie_name, csrf_ok
from bot.console.routes import ConsoleRoute, RouteTable
from bot.console.visit import SECURITY_HEADERS, NavItem, Refused, Visit
from bot.roles import Role

if TYPE_CHECKING:
    from bot.app import OrgBot

log = logging.getLogger(__name__)

CHANNEL = "console"
PREFIX = "/admin"
LOGIN_PATH = f"{PREFIX}/login"
# The menu, in order: (path, label, least role).
MENU: tuple[tuple[str, str, Role], ...] = (
    ("/admin/", "概览", Role.ORGANIZER),
    ("/admin/schedules", "定时提醒", Role.ORGANIZER),
    ("/admin/notices", "会议通知与回执", Role.ORGANIZER),
    ("/admin/knowledge", "知识库", Role.ADMIN),
    ("/admin/cadres", "干部数据", Role.ORGANIZER),
    ("/admin/audit", "审计日志", Role.ADMIN),
    ("/admin/staff", "人员与权限", Role.ADMIN),
    ("/admin/outbox", "投递队列", Role.ADMIN),
)


def page_routes() -> list[ConsoleRoute]:
    """Every page module's table: adding a page is adding a module to bot/console/pages/."""
    import bot.console.pages as pages

    found: list[ConsoleRoute] = []
    for info in sorted(pkgutil.iter_modules(pages.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{pages.__name__}.{info.name}")
        table = getattr(module, "routes", None)
        if isinstance(table, RouteTable):
            found.extend(table.routes)
    return found


def _localtime(value: datetime | None, tz: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return "—"
    return value.astimezone(tz).strftime(fmt)


class ConsoleSite:
    def __init__(self, bot: OrgBot) -> None:
        self.bot = bot
        self.logins = LoginService(bot)
        cfg = bot.config.console
        self.idle = timedelta(minutes=cfg.idle_minutes)
        self.max_age = timedelta(hours=cfg.max_hours)

    def app(self) -> web.Application:
        app = web.Application()
        env = aiohttp_jinja2.setup(
            app,
            loader=jinja2.PackageLoader("bot.console", "templates"),
            autoescape=jinja2.select_autoescape(default=True),
            undefined=jinja2.StrictUndefined,
        )
        env.filters["localtime"] = _localtime
        env.globals["role_labels"] = {r.name.lower(): r.label for r in Role}
        app.router.add_get("/login", self.login_needed)
        static = resources.files("bot.console").joinpath("static")
        app.router.add_static("/static", str(static), append_version=False)
        for route in page_routes():
            app.router.add_route(route.method, route.path, self._guarded(route))
        return app

    async def login_needed(self, request: web.Request) -> web.Response:
        return aiohttp_jinja2.render_template(
            "login_needed.html", request, {"bot_name": self.bot.config.bot.name}, status=200
        )

    async def session_of(self, request: web.Request) -> WebSession | None:
        raw = request.cookies.get(cookie_name(self.bot), "")
        return await self.logins.session(raw, idle=self.idle, max_age=self.max_age)

    def _guarded(self, route: ConsoleRoute) -> Any:
        async def view(request: web.Request) -> web.StreamResponse:
            return await self.serve(route, request)

        return view

    async def serve(self, route: ConsoleRoute, request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        response = await self._serve(route, request)
        # The server's own time, for the browser's developer tools and bench/console_pages.py.
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response

    async def _serve(self, route: ConsoleRoute, request: web.Request) -> web.StreamResponse:
        session = await self.session_of(request)
        if session is None:
            if request.method == "GET":
                raise web.HTTPSeeOther(LOGIN_PATH, headers=SECURITY_HEADERS)
            return self._plain(request, 401, "登录已失效", "会话已过期或已退出，请重新登录后再提交。")
        user = session.user
        if user.role < Role.ORGANIZER:
            await self._audit(session, route, "refused", "管理后台仅限管理员和组织员")
            return self._plain(request, 403, "无权访问", "管理后台仅限管理员和组织员使用。")
        form: MultiDictProxy[Any] = MultiDictProxy(MultiDict())
        if request.method != "GET":
            if request.content_type == "multipart/form-data":
                # Uploads may be larger than the API's bodies; files are spooled to disk, not memory.
                request = request.clone(client_max_size=self.bot.config.console.upload_max_mb * 1024 * 1024)
            try:
                form = await request.post()
            except web.HTTPRequestEntityTooLarge:
                limit = self.bot.config.console.upload_max_mb
                return self._plain(request, 413, "文件过大", f"上传的文件超过 {limit} MiB（[console] upload_max_mb）。")
            given = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD) or ""
            if not isinstance(given, str) or not csrf_ok(request, self.bot, session, given):
                await self._audit(session, route, "refused", "CSRF 校验失败")
                return self._plain(request, 403, "安全校验失败", "请求缺少有效的安全令牌（CSRF）：请刷新页面后重试。")
        if user.role < route.role:
            await self._audit(session, route, "refused", f"需要{route.role.label}权限")
            return self._plain(request, 403, "无权访问", f"此页面仅限{route.role.label}使用。")
        async with self.bot.db() as db:
            access = await access_for(db, user)
        nav = [NavItem(path, label) for path, label, least in MENU if user.role >= least]
        visit = Visit(request, self.bot, session, access, form, nav)
        try:
            response = await route.view(visit)
        except Refused as exc:
            visit.outcome, visit.detail = "refused", str(exc)
            response = visit.render("refused.html", status=403, message=str(exc))
        except web.HTTPException as exc:
            if not visit.audited:
                outcome = "not_found" if exc.status == 404 else visit.outcome
                await self._audit(session, route, outcome, exc.text or visit.detail, visit)
            raise
        except Exception:
            log.exception("console page failed: %s %s", request.method, request.path)
            visit.outcome = "error"
            await self._audit(session, route, visit.outcome, visit.detail, visit)
            raise
        if not visit.audited and not (route.quiet and visit.outcome == "ok"):
            await self._audit(session, route, visit.outcome, visit.detail, visit)
        return response

    async def _audit(
        self, session: WebSession, route: ConsoleRoute, outcome: str, detail: str, visit: Visit | None = None
    ) -> None:
        """Every state-changing request and every personal read, refusals included, in the audit log."""
        if not route.action and outcome == "ok":
            return
        user = session.user
        async with self.bot.db() as db, db.begin():
            write_audit(
                db,
                self.bot.clock.now(),
                AuditRecord(
                    actor=user.user_id,
                    actor_role=user.role.name.lower(),
                    channel=CHANNEL,
                    action=route.action or f"console.view{route.path.replace('/', '.')}",
                    outcome=outcome,
                    query=visit.query if visit else "",
                    subject=visit.subject if visit else None,
                    detail=detail,
                ),
            )

    def _plain(self, request: web.Request, status: int, title: str, message: str) -> web.Response:
        response = aiohttp_jinja2.render_template(
            "plain.html",
            request,
            {"bot_name": self.bot.config.bot.name, "title": title, "message": message},
            status=status,
        )
        response.headers.update(SECURITY_HEADERS)
        return response


def mount(app: web.Application, bot: OrgBot) -> None:
    """Add the console under /admin/ when ``[console] enabled``."""
    if not bot.config.console.enabled:
        return
    app.add_subapp(PREFIX, ConsoleSite(bot).app())
