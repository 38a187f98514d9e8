"""Pick the handler for a message: pending dialogue, command word, phrasing, then the fallback."""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from bot.handler import HandlerFunc, HandlerSpec, spec_of
from bot.roles import Role

COMMAND_PREFIXES = ("/", "／")


@dataclass(frozen=True)
class Route:
    func: HandlerFunc
    spec: HandlerSpec
    command: str | None = None
    args: str = ""
    match: Any = None


def split_command(text: str) -> tuple[str, str] | None:
    """``/培训 A1024`` → (``培训``, ``A1024``); free text → None."""
    stripped = text.strip()
    if not stripped.startswith(COMMAND_PREFIXES):
        return None
    body = stripped[1:].strip()
    if not body:
        return None
    word, _, rest = body.replace("\u3000", " ").partition(" ")
    return word.lower(), rest.strip()


class Router:
    def __init__(self, funcs: Iterable[HandlerFunc]) -> None:
        self.handlers: list[tuple[HandlerFunc, HandlerSpec]] = []
        self.by_name: dict[str, tuple[HandlerFunc, HandlerSpec]] = {}
        self.by_command: dict[str, tuple[HandlerFunc, HandlerSpec]] = {}
        for func in funcs:
            spec = spec_of(func)
            if spec is None:
                continue
            if spec.name in self.by_name:
                raise ValueError(f"two handlers are named {spec.name}")
            self.handlers.append((func, spec))
            self.by_name[spec.name] = (func, spec)
            for word in spec.commands:
                key = word.lower()
                if key in self.by_command:
                    raise ValueError(f"command /{word} is declared by {self.by_command[key][1].name} and {spec.name}")
                self.by_command[key] = (func, spec)
        self.handlers.sort(key=lambda pair: -pair[1].priority)
        fallbacks = [pair for pair in self.handlers if pair[1].fallback]
        self.fallback = fallbacks[0] if fallbacks else None

    def specs(self) -> list[HandlerSpec]:
        return [spec for _, spec in self.handlers]

    def resolve(self, text: str, pending_handler: str | None = None, skip: Collection[str] = ()) -> Route | None:
        """``skip``: handlers whose phrasing matched but that declined the message (``HandlerSpec.applies``)."""
        command = split_command(text)
        if command is not None:
            word, args = command
            found = self.by_command.get(word)
            if found is None:
                return None
            return Route(found[0], found[1], command=word, args=args)
        if pending_handler and pending_handler in self.by_name:
            func, spec = self.by_name[pending_handler]
            return Route(func, spec, args=text.strip())
        for func, spec in self.handlers:
            if spec.name in skip:
                continue
            for pattern in spec.patterns:
                m = pattern.search(text)
                if m:
                    return Route(func, spec, args=text.strip(), match=m)
        if self.fallback:
            return Route(self.fallback[0], self.fallback[1], args=text.strip())
        return None

    def suggest_command(self, word: str) -> str | None:
        close = difflib.get_close_matches(word, list(self.by_command), n=1, cutoff=0.5)
        return close[0] if close else None

    def visible_to(self, role: Role) -> list[HandlerSpec]:
        return [spec for spec in self.specs() if spec.role <= role and spec.help]


def import_submodules(package: str) -> list[ModuleType]:
    pkg = importlib.import_module(package)
    modules = [pkg]
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        modules.append(importlib.import_module(f"{package}.{info.name}"))
    return modules


def collect_handlers(modules: Iterable[ModuleType]) -> list[HandlerFunc]:
    funcs: list[HandlerFunc] = []
    for module in modules:
        for value in vars(module).values():
            if callable(value) and spec_of(value) is not None and getattr(value, "__module__", "") == module.__name__:
                funcs.append(value)
    return funcs
