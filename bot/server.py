"""Serve the bot over HTTP until SIGTERM/SIGINT, then shut down gracefully."""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
import socket
from collections.abc import Callable

from aiohttp import web

from bot import stack_dump
from bot.app import OrgBot
from bot.channels.registry import attach_channels
from bot.config import Config

log = logging.getLogger(__name__)


class PortInUse(OSError):
    """The listening address is taken; the CLI suggests another port."""


async def serve(
    config: Config,
    *,
    host: str | None = None,
    port: int | None = None,
    on_ready: Callable[[OrgBot, str], None] | None = None,
) -> None:
    # The instance lock of a SQLite file is taken by OrgBot.start (bot/instance_lock.py).
    await _serve_locked(config, host=host, port=port, on_ready=on_ready)


async def _serve_locked(
    config: Config,
    *,
    host: str | None,
    port: int | None,
    on_ready: Callable[[OrgBot, str], None] | None,
) -> None:
    host = host or config.server.host
    port = port or config.server.port
    # Bound before the start (migrations, the knowledge index): a busy port is told at once,
    # and nobody can take the port while the bot starts.
    sock = _listen(host, port)
    bot = OrgBot(config)
    attach_channels(bot)
    try:
        await bot.start()
    except BaseException:
        sock.close()
        raise
    runner = web.AppRunner(bot.web_app(), handle_signals=False, access_log=None)
    await runner.setup()
    site = web.SockSite(runner, sock)
    await site.start()
    url = f"http://{host}:{sock.getsockname()[1]}/"
    log.info("orgbot listening on %s", url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    stack_dump.install(loop)
    if on_ready:
        on_ready(bot, url)
    try:
        await stop.wait()
    finally:
        log.info("shutting down: finishing in-flight messages")
        await site.stop()
        await bot.stop()
        await runner.cleanup()
        log.info("stopped")


def _listen(host: str, port: int) -> socket.socket:
    try:
        sock = socket.create_server((host, port), backlog=128)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(exc.errno, f"端口 {port} 已被占用（{host}:{port}）") from exc
        raise
    sock.setblocking(False)
    return sock
