"""Security tests attack a running app: they reuse the fake platforms and the loopback-served channels."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.channels.conftest import fake, serve_channel  # noqa: F401  (fixtures shared with the channel tests)


@dataclass
class Attacker:
    """A server on 127.0.0.1 that records whatever a tricked bot sends it."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)

    async def collect(self, request: web.Request) -> web.Response:
        self.received.append({"path": request.path_qs, "body": (await request.read()).decode(errors="replace")})
        return web.json_response({"errcode": 0, "errmsg": "ok"})


@pytest.fixture
async def attacker() -> AsyncIterator[Attacker]:
    spy = Attacker()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", spy.collect)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    spy.url = str(server.make_url("")).rstrip("/")
    yield spy
    await server.close()
