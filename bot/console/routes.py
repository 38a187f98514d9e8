"""How a console page declares itself: a path, a method, the role it needs, and its audit action."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

from bot.roles import Role

if TYPE_CHECKING:
    from bot.console.visit import Visit

View = Callable[["Visit"], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class ConsoleRoute:
    method: str
    path: str
    view: View
    role: Role
    # The audit action; empty for plain reads of non-personal pages. Every POST has one.
    action: str
    # A POST that changes nothing (a preview): audited only when refused or failing.
    quiet: bool = False


class RouteTable:
    """Collects a page module's routes; the site mounts every table under /admin/."""

    def __init__(self) -> None:
        self.routes: list[ConsoleRoute] = []

    def get(self, path: str, *, role: Role = Role.ORGANIZER, action: str = "") -> Callable[[View], View]:
        return self._add("GET", path, role, action)

    def post(
        self, path: str, *, action: str, role: Role = Role.ORGANIZER, quiet: bool = False
    ) -> Callable[[View], View]:
        if not action:
            raise ValueError(f"POST {path} needs an audit action")
        return self._add("POST", path, role, action, quiet)

    def _add(self, method: str, path: str, role: Role, action: str, quiet: bool = False) -> Callable[[View], View]:
        def register(view: View) -> View:
            self.routes.append(ConsoleRoute(method, path, view, role, action, quiet))
            return view

        return register
