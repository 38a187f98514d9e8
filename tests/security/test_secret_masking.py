"""Hole 8: the database password (and other configured secrets) never appear in an error, a log line or output.

Attacks replayed through the real command line: a wrong scheme, malformed URLs, a closed
port on 127.0.0.1, a PostgreSQL server that rejects the password (a loopback stand-in
speaking the wire protocol, so the refusal is real whatever the local server's auth),
percent-encoded and raw special characters, the URL in a config file; and the running
app's log records (caplog) with the secrets in its configuration.
"""

from __future__ import annotations

import logging
import os
import socket
import socketserver
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import URL, make_url

from bot.app import OrgBot
from bot.redaction import redact, remember_secret

PASSWORD = "Zq7-pg-S3cret-Xk"
SPECIAL = "Zq7@pg/S3cret:Xk"


class _RejectingPostgres(socketserver.BaseRequestHandler):
    """Asks for the password in clear text, records it, and refuses it as PostgreSQL does (28P01)."""

    received: ClassVar[list[bytes]] = []

    def handle(self) -> None:
        sock = self.request
        sock.settimeout(10)
        while True:
            (length,) = struct.unpack("!I", _read(sock, 4))
            body = _read(sock, length - 4)
            if body[:4] == struct.pack("!I", 80877103):  # SSLRequest: no TLS here
                sock.sendall(b"N")
                continue
            break
        sock.sendall(b"R" + struct.pack("!II", 8, 3))
        kind, (length,) = _read(sock, 1), struct.unpack("!I", _read(sock, 4))
        if kind == b"p":
            self.received.append(_read(sock, length - 4).rstrip(b"\0"))
        fields = b'SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user "admin"\0\0'
        sock.sendall(b"E" + struct.pack("!I", len(fields) + 4) + fields)


def _read(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("client went away")
        data += chunk
    return data


@pytest.fixture(scope="module")
def rejecting_postgres() -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _RejectingPostgres)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def orgbot(*args: str, url: str, cwd: Path, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORGBOT_")}
    if config is None:
        env["ORGBOT_DATABASE_URL"] = url
    else:
        env["ORGBOT_CONFIG"] = str(config)
    env["ORGBOT_KNOWLEDGE_INDEX_DIR"] = str(cwd / "index")
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=90
    )


def _assert_masked(result: subprocess.CompletedProcess[str], *secrets: str) -> str:
    out = result.stdout + result.stderr
    for secret in secrets:
        assert secret not in out, out
    assert result.returncode != 0 and "错误：" in result.stderr, out
    assert "Traceback" not in out, out
    return out


BAD_URLS = {
    "wrong scheme": ("mysql://admin:{pw}@db.example/orgbot", "应为 sqlite:///"),
    "malformed port": ("postgresql://admin:{pw}@127.0.0.1:notaport/orgbot", "无法解析数据库地址"),
    "malformed host": ("postgresql+asyncpg://admin:{pw}@[::1/orgbot", "无法解析数据库地址"),
    "closed port": ("postgresql://admin:{pw}@127.0.0.1:{closed}/orgbot", "连接被拒绝"),
    "bad auth": ("postgresql://admin:{pw}@127.0.0.1:{fake}/orgbot", "用户名或密码被拒绝"),
}


@pytest.mark.parametrize("case", list(BAD_URLS))
def test_db_commands_never_print_the_password(case, tmp_path, closed_port, rejecting_postgres):
    template, says = BAD_URLS[case]
    url = template.format(pw=PASSWORD, closed=closed_port, fake=rejecting_postgres)
    out = _assert_masked(orgbot("db", "current", url=url, cwd=tmp_path), PASSWORD)
    # The address is shown as "admin:***@…" or, in the connection errors, as "admin@host" with no password part.
    assert says in out and ("admin:***@" in out or "admin@127.0.0.1" in out)
    if case == "bad auth":
        assert PASSWORD.encode() in _RejectingPostgres.received  # the server really was asked with it


@pytest.mark.parametrize(
    "command", [["db", "upgrade"], ["data", "export", "out"], ["audit", "list"], ["run", "--port", "0"]]
)
def test_every_command_masks_the_password_of_an_unreachable_or_refusing_database(
    command, tmp_path, closed_port, rejecting_postgres
):
    for port in (closed_port, rejecting_postgres):
        _assert_masked(
            orgbot(*command, url=f"postgresql://admin:{PASSWORD}@127.0.0.1:{port}/orgbot", cwd=tmp_path), PASSWORD
        )


def test_special_characters_raw_or_percent_encoded_are_masked_in_every_form(tmp_path, rejecting_postgres):
    encoded = quote(SPECIAL, safe="")
    url = f"postgresql://admin:{encoded}@127.0.0.1:{rejecting_postgres}/orgbot"
    _assert_masked(orgbot("db", "current", url=url, cwd=tmp_path), SPECIAL, encoded, "S3cret")
    raw = f"postgresql://admin:{SPECIAL}@127.0.0.1:{rejecting_postgres}/orgbot"
    _assert_masked(orgbot("db", "current", url=raw, cwd=tmp_path), SPECIAL, "S3cret")


def test_a_password_in_the_config_file_is_masked_too(tmp_path, closed_port):
    config = tmp_path / "orgbot.toml"
    config.write_text(
        f'[database]\nurl = "postgres://admin:{PASSWORD}@127.0.0.1:{closed_port}/orgbot"\n', encoding="utf-8"
    )
    _assert_masked(orgbot("db", "current", url="", cwd=tmp_path, config=config), PASSWORD)
    config.write_text(f'[database]\nurl = "mssql://admin:{PASSWORD}@h/orgbot"\n', encoding="utf-8")
    assert "[database] url" in _assert_masked(orgbot("db", "current", url="", cwd=tmp_path, config=config), PASSWORD)


def test_a_wrong_database_on_the_real_server_is_masked(db_url, tmp_path):
    if not db_url.startswith("postgresql"):
        pytest.skip("needs the PostgreSQL test server")
    url = make_url(db_url).set(password=PASSWORD, database="orgbot_no_such_db").render_as_string(hide_password=False)
    out = _assert_masked(orgbot("db", "current", url=url, cwd=tmp_path), PASSWORD)
    assert "orgbot_no_such_db" in out


passwords = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="'\"`"), min_size=8, max_size=30
)
surroundings = st.text(alphabet="连接数据库失败：地址 \n（）", max_size=20)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(password=passwords, before=surroundings, after=surroundings, host=st.sampled_from(["127.0.0.1", "db", "[::1]"]))
def test_any_password_in_any_url_form_is_masked_by_pattern_alone(password, before, after, host):
    assume(password not in f"{before}postgresql+asyncpg://admin:***@{host}:5432/orgbot{after}")  # e.g. "postgres"
    rendered = URL.create("postgresql+asyncpg", "admin", password, host.strip("[]"), 5432, "orgbot")
    for url in (rendered.render_as_string(hide_password=False), f"postgresql://admin:{password}@{host}/orgbot"):
        text = redact(f"{before}{url}{after}")
        assert password not in text and quote(password, safe="") not in text
        assert "admin:***@" in text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("https://oapi.dingtalk.com/robot/send?access_token=ab12cd34&x=1", "access_token=***&x=1"),
        ('{"app_secret": "ab12cd34", "n": 1}', '"app_secret": "***"'),
        ("host=db password=ab12cd34 dbname=orgbot", "password=*** dbname"),
        ("GET /api/v1/inbox?token=ab12cd34&user_id=u1", "token=***&user_id"),
        ("PGPASSWORD=ab12cd34 psql", "PGPASSWORD=***"),
    ],
)
def test_secrets_written_as_key_value_pairs_are_masked(text, masked):
    assert "ab12cd34" not in redact(text) and masked in redact(text)


@settings(max_examples=100, derandomize=True, deadline=None)
@given(secret=passwords, before=surroundings, after=surroundings)
def test_a_remembered_secret_is_masked_wherever_it_appears(secret, before, after):
    remember_secret(secret)
    for form in (secret, quote(secret, safe="")):
        assert secret not in redact(before + form + after)


async def test_running_app_logs_never_carry_a_secret(db_url, config_for, tmp_path, caplog):
    url = make_url(db_url)
    if url.get_backend_name() == "postgresql":
        db_url = url.set(password=PASSWORD).render_as_string(hide_password=False)  # trust auth on the test server
    token = "tok-" + PASSWORD
    config = config_for(db_url, ORGBOT_API_TOKEN=token, ORGBOT_DINGTALK_APP_SECRET="ding-" + PASSWORD,
                        ORGBOT_DATABASE_ECHO="true")  # fmt: skip
    caplog.set_level(logging.DEBUG)
    for noisy in ("aiohttp.access", "sqlalchemy.engine", "bot"):
        caplog.set_level(logging.DEBUG, logger=noisy)
    bot = OrgBot(config)
    await bot.start(background=False)
    try:
        async with TestClient(TestServer(bot.web_app())) as client:
            auth = {"Authorization": f"Bearer {token}"}
            assert (
                await client.post("/api/v1/chat", json={"user_id": "u1", "text": "/帮助"}, headers=auth)
            ).status == 200
            assert (await client.get(f"/api/v1/inbox?token={token}&user_id=u1")).status in (200, 400, 401, 404)
            assert (await client.post("/api/v1/chat", data=b"{", headers=auth)).status == 400
        log = logging.getLogger("bot.test")
        log.warning("connecting to %s with token %s", bot.config.database.url, token)
        try:
            raise RuntimeError(f"lost connection to {bot.config.database.url}")
        except RuntimeError:
            log.exception("database went away")
    finally:
        await bot.stop(timeout=2)
    assert caplog.records, "the app logged nothing at DEBUG"
    everything = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    for secret in (PASSWORD, token, quote(PASSWORD, safe="")):
        assert secret not in everything
    assert "***" in everything and "database went away" in everything


async def test_start_up_failure_is_logged_and_raised_without_the_password(config_for, closed_port, caplog):
    caplog.set_level(logging.DEBUG)
    bot = OrgBot(config_for(f"postgresql://admin:{PASSWORD}@127.0.0.1:{closed_port}/orgbot"))
    with pytest.raises(OSError) as failed:
        await bot.start(background=False)
    logging.getLogger("bot.server").error("start failed", exc_info=failed.value)
    await bot.engine.dispose()
    assert PASSWORD not in caplog.text and PASSWORD not in str(failed.value)
    assert "start failed" in caplog.text
