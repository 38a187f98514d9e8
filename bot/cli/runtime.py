"""What every subcommand needs: the configuration, a started bot, an event loop, errors in Chinese."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from bot.app import MigrationsPending, OrgBot
from bot.config import Config, ConfigError, load_config
from bot.logs import setup_logging
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
            return fail(f"{exc}", 2)
        setup_logging("WARNING" if getattr(args, "quiet_logs", True) else config.log.level)
        try:
            return int(asyncio.run(coro_func(args, config)) or 0)
        except (ConfigError, DatabaseUrlError, MigrationsPending) as exc:
            return fail(str(exc), 2)
        except KeyboardInterrupt:
            return 130
        except OSError as exc:
            return fail(f"{exc}", 1)

    return runner


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
