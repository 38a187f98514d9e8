"""Files the console hands out (exports, templates): written by the feature's own writer, then sent."""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.console.visit import SECURITY_HEADERS

CONTENT_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv; charset=utf-8",
}


async def download(filename: str, write: Callable[[Path], Awaitable[Any]]) -> web.Response:
    """``write(path)`` fills a temporary file named like ``filename``; the browser saves it under that name."""
    suffix = Path(filename).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="orgbot-console-") as folder:
        path = Path(folder) / f"export{suffix}"
        await write(path)
        body = path.read_bytes()
    return web.Response(
        body=body,
        headers={
            **SECURITY_HEADERS,
            "Content-Type": CONTENT_TYPES.get(suffix, "application/octet-stream"),
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
        },
    )
