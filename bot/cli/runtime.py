"""What every subcommand needs: the configuration, a started bot, an event loop, errors in Chinese."""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.app import MigrationsPending, OrgBot
from bot.config import Config, ConfigError, load_config
from bot.instance_lock import InstanceRunning
from bot.logs import setup_logging
from bot.redaction import format_exception_masked, redact
from bot.storage import connection_errors, migrate
from bot.storage.db import DatabaseUrlError


def config_from(args: argparse.Namespace) -> Config:
    return load_config(getattr(args, "config", None))


def fail(message: str, code: int = 2) -> int:
    print(f"错误：{message}", file=sys.stderr)
    return code


def quiet_broken_pipe() -> int:
    """The reader (``| head``) went away: stop quietly, as Unix tools do."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 0


def run_command(
    coro_func: Callable[[argparse.Namespace, Config], Coroutine[Any, Any, int | None]],
) -> Callable[[argparse.Namespace], int]:
    """Wrap an async subcommand: load config, set up logging, turn known errors into one clear line."""

    def runner(args: argparse.Namespace) -> int:
        try:
            config = config_from(args)
        except ConfigError as exc:
            return fail(redact(str(exc)), 2)
        setup_logging(
            "WARNING" if getattr(args, "quiet_logs", True) else config.log.level,
            json_format=config.log.format == "json",
        )
        try:
            return int(asyncio.run(coro_func(args, config)) or 0)
        except (ConfigError, DatabaseUrlError, MigrationsPending, InstanceRunning) as exc:
            return fail(redact(str(exc)), 2)
        except KeyboardInterrupt:
            return 130
        except BrokenPipeError:
            return quiet_broken_pipe()
        except Exception as exc:
            described = connection_errors.describe(exc, config.database.url)
            if described is not None:
                return fail(redact(described), 1)
            if isinstance(exc, (SQLAlchemyError, OSError)):
                return fail(database_trouble(exc, config), 1)
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


async def _was_empty(bot: OrgBot) -> bool | None:
    """None: the schema did not exist yet (a new database); else whether it holds no people and no documents."""
    if await migrate.current_revision(bot.engine) is None:
        return None
    async with bot.engine.connect() as conn:
        for table in ("staff", "kb_documents"):
            try:
                if (await conn.execute(text(f"SELECT 1 FROM {table} LIMIT 1"))).first() is not None:
                    return False
            except Exception:
                return False
    return True


def _say_which_database(config: Config, state: bool | None) -> None:
    """A command against the wrong (new or empty) database otherwise answers "unknown" with no hint."""
    place = connection_errors.where(config.database.url)
    what = "新建的空数据库" if state is None else "数据库（其中还没有人员和知识库文档）"
    print(
        f"提示：本命令使用{what} {place}（配置：{config.source}）。"
        "如需使用已有数据，请用 --config 指定配置文件、设置 ORGBOT_CONFIG，或在当前目录放置 orgbot.toml。",
        file=sys.stderr,
        flush=True,
    )


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
        state = await _was_empty(bot)
        await bot.start(background=False)
        if state is not False and not config.knowledge.load_bundled_corpus:
            _say_which_database(config, state)
        yield bot
    finally:
        await bot.stop(timeout=5)
