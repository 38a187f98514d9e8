"""What every subcommand needs: the configuration, a started bot, an event loop, errors in Chinese."""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.app import MigrationsPending, OrgBot
from bot.config import Config, ConfigError, load_config
from bot.logs import setup_logging
from bot.redaction import format_exception_masked, redact
from bot.storage.db import DatabaseUrlError


def config_from(args: argparse.Namespace) -> Config:
    return load_config(getattr(args, "config", None))


def fail(message: str, code: int = 2) -> int:
    print(f"错误：{message}", file=sys.stderr)
    return code


def run_command(
    coro_func: Callable[[argparse.Namespace, Config], Coroutine[Any, Any, int | None]],
) -> Callable[[argparse.Namespace], int]:
    """Wrap an async subcommand: load config, set up logging, turn known errors into one clear line."""

    def runner(args: argparse.Namespace) -> int:
        try:
            config = config_from(args)
        except ConfigError as exc:
            return fail(redact(str(exc)), 2)
        setup_logging("WARNING" if getattr(args, "quiet_logs", True) else config.log.level)
        try:
            return int(asyncio.run(coro_func(args, config)) or 0)
        except (ConfigError, DatabaseUrlError, MigrationsPending) as exc:
            return fail(redact(str(exc)), 2)
        except KeyboardInterrupt:
            return 130
        except (SQLAlchemyError, OSError) as exc:
            return fail(database_trouble(exc, config), 1)
        except Exception as exc:
            print(format_exception_masked(exc), file=sys.stderr, end="")
            return fail(f"出错了：{type(exc).__name__}: {redact(str(exc))}", 1)

    return runner


def database_trouble(exc: BaseException, config: Config) -> str:
    """One masked line for a database or system error; the URL is shown without its password."""
    detail = str(getattr(exc, "orig", None) or exc).strip()
    reason = redact(detail.splitlines()[0]) if detail else type(exc).__name__
    if isinstance(exc, SQLAlchemyError) or _is_connect_error(exc):
        return f"无法使用数据库 {redact(config.database.url)}：{reason}"
    return reason


def _is_connect_error(exc: BaseException) -> bool:
    text = str(exc)
    return isinstance(exc, (ConnectionError, TimeoutError, socket.gaierror)) or "Connect call failed" in text


@asynccontextmanager
async def started_bot(config: Config, *, channels: bool = False, **kwargs: Any) -> AsyncIterator[OrgBot]:
    """A bot with its database ready and handler set-up done, stopped on exit."""
    bot = OrgBot(config, **kwargs)
    if channels:
        from bot.channels.registry import attach_channels

        attach_channels(bot)
    else:
        from bot.channels.local import LocalChannel

        bot.add_channel(LocalChannel())
    try:
        await bot.start(background=False)
        yield bot
    finally:
        await bot.stop(timeout=5)
