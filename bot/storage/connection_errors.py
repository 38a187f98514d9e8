"""Turn a failed database connection into one sentence that says what to check.

A missing PostgreSQL database or role used to surface as a long traceback and a
closed port as a bare ``[Errno 111]``; operators need the address and the likely fix.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator

from sqlalchemy.engine import make_url

from bot.storage.db import normalize_url

HEADLINE = "数据库连接失败"


def where(url: str) -> str:
    """The database address without its password, for messages and logs.

    The host is what follows the last "@" and the user what precedes the first ":": a
    password holding ":" or "@" (or a URL too malformed to parse) never leaks into the text.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "（无法解析的地址）"
    if scheme.startswith("sqlite"):
        try:
            return f"SQLite 文件 {make_url(normalize_url(url)).database or ':memory:'}"
        except Exception:
            return "（无法解析的地址）"
    userinfo, at, location = rest.rpartition("@")
    user = userinfo.split(":", 1)[0] if at else ""
    location = location.split("?", 1)[0]
    return f"PostgreSQL {user + '@' if user else ''}{location}"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend([current.__cause__, current.__context__, getattr(current, "orig", None)])


def describe(exc: BaseException, url: str) -> str | None:
    """A one-line Chinese explanation when ``exc`` is a connection failure; None for anything else."""
    target = where(url)
    for err in _chain(exc):
        name = type(err).__name__
        if name == "InvalidCatalogNameError":
            return f"{HEADLINE}（{target}）：数据库不存在。请先建库（createdb），或检查 [database] url 中的库名。"
        if name in ("InvalidAuthorizationSpecificationError", "InvalidPasswordError"):
            return (
                f"{HEADLINE}（{target}）：用户名或密码被拒绝。请检查 [database] url（或 ORGBOT_DATABASE_URL）"
                "中的用户与密码，以及该用户是否已在 PostgreSQL 中创建。"
            )
        if name == "CannotConnectNowError":
            return f"{HEADLINE}（{target}）：数据库正在启动或关闭，请稍后重试。"
        if isinstance(err, socket.gaierror):
            return f"{HEADLINE}（{target}）：找不到主机名。请检查 [database] url 中的主机。"
        if isinstance(err, ConnectionRefusedError) or (isinstance(err, OSError) and err.errno == errno.ECONNREFUSED):
            return (
                f"{HEADLINE}（{target}）：连接被拒绝。请检查 PostgreSQL 是否已启动、端口是否正确，"
                "以及 listen_addresses / 防火墙是否允许本机连接。"
            )
        if isinstance(err, TimeoutError | ConnectionError) and "sqlite" not in target.lower():
            return f"{HEADLINE}（{target}）：连接超时或中断。请检查网络、防火墙和 pg_hba.conf。"
        if name == "OperationalError" and "unable to open database file" in str(err):
            return f"{HEADLINE}（{target}）：无法打开数据库文件。请检查文件夹是否存在、是否有写权限。"
    return None
