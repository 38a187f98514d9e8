"""One console request by a logged-in person: who, with which rights, and how the page answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import web
from multidict import MultiDictProxy

from bot.access import Access
from bot.actor import NotPermitted
from bot.auth.logins import WebSession
from bot.auth.web import secure_cookies
from bot.handler import User

if TYPE_CHECKING:
    from bot.app import OrgBot

FLASH_COOKIE = "orgbot_console_flash"
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # No inline script, nothing from another origin: every asset ships in the package.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
}


class Refused(Exception):
    """The person may not do this (role or unit scope); phrased for them."""


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str


@dataclass
class Pager:
    """One page of a list: ``?page=N`` in the query, ``size`` rows from the console config."""

    page: int
    size: int
    total: int = 0
    # False for a queue read newest first without counting it: only "next page" is known.
    exact: bool = True

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


class Visit:
    """Handed to every view; the framework audits ``action`` with ``outcome``/``detail``/``subject`` after it."""

    def __init__(
        self,
        request: web.Request,
        bot: OrgBot,
        session: WebSession,
        access: Access,
        form: MultiDictProxy[Any],
        nav: list[NavItem],
    ) -> None:
        self.request = request
        self.bot = bot
        self.session = session
        self.access = access
        self.form = form
        self.nav = nav
        self.tz = ZoneInfo(bot.config.bot.timezone)
        self.outcome = "ok"
        self.detail = ""
        self.subject: str | None = None
        self.query = ""
        # Set when the feature's service wrote the audit row itself (with channel console).
        self.audited = False

    @property
    def user(self) -> User:
        return self.session.user

    @property
    def csrf(self) -> str:
        return self.session.csrf

    def now(self) -> datetime:
        return self.bot.clock.now()

    def field(self, name: str, default: str = "") -> str:
        """A text field of the posted form (or the query string of a GET), stripped."""
        value = self.form.get(name) if self.request.method == "POST" else self.request.query.get(name)
        return value.strip() if isinstance(value, str) else default

    def flag(self, name: str) -> bool:
        return self.field(name) in ("1", "on", "true", "yes")

    def pager(self, total: int = 0) -> Pager:
        raw = self.request.query.get("page", "1")
        page = int(raw) if raw.isdigit() and 0 < int(raw) < 1_000_000 else 1
        return Pager(page, self.bot.config.console.page_size, total)

    def refuse(self, message: str) -> Refused:
        return Refused(message)

    def not_permitted(self, refused: NotPermitted) -> Refused:
        """A feature service's refusal, which that service has already audited."""
        self.audited = True
        return Refused(f"此操作仅限{refused.needed.label}。")

    def invalid(self, message: str) -> str:
        """The input was refused by the service's rules: audited as ``invalid``, shown on the form."""
        self.outcome, self.detail = "invalid", message
        return message

    def render(self, template: str, status: int = 200, **context: Any) -> web.Response:
        flash = unquote(self.request.cookies.get(FLASH_COOKIE, ""))[:300]
        response = aiohttp_jinja2.render_template(
            template,
            self.request,
            {
                "v": self,
                "user": self.user,
                "csrf": self.csrf,
                "nav": self.nav,
                "flash": flash,
                "bot_name": self.bot.config.bot.name,
                **context,
            },
            status=status,
        )
        response.headers.update(SECURITY_HEADERS)
        if flash:
            response.del_cookie(FLASH_COOKIE, path="/admin/")
        return response

    def redirect(self, path: str, flash: str = "") -> web.Response:
        """After a successful change: Post/Redirect/Get, with a one-time message for the next page."""
        response = web.Response(status=303, headers={**SECURITY_HEADERS, "Location": path})
        if flash:
            response.set_cookie(
                FLASH_COOKIE,
                quote(flash[:300]),
                path="/admin/",
                httponly=True,
                samesite="Strict",
                max_age=60,
                secure=secure_cookies(self.bot),
            )
        return response
