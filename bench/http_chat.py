"""Policy questions per second over ``POST /api/v1/chat``, beside a bare aiohttp JSON handler.

Why: a busy department asks policy questions all at once (before a deadline, after a
notice); this measures what one `orgbot run` process sustains end to end — HTTP, token
check, message path, database, knowledge engine — and what the same client gets from an
aiohttp handler that only parses the JSON and answers a fixed reply, measured in the same
run, so that the gap is the bot's own cost and not the machine's.

How: `orgbot demo --no-serve` prepares the demo data (people, the bundled knowledge base,
schedules) in a temporary folder, then a real `orgbot run` subprocess serves it on a free
loopback port. The client (aiohttp, one process, ``--connections`` keep-alive connections)
asks the evaluation set's questions (bench/kb_eval) as guests for ``--seconds`` seconds,
and prints answers/s, p50, p99 and the share of questions answered from the documents.
The bare handler runs as a subprocess of this script, loaded by the same client.

    python bench/http_chat.py                                   # SQLite, 64 connections, 10 s
    python bench/http_chat.py --seconds 20 --connections 64
    python bench/http_chat.py --postgres postgresql://postgres@127.0.0.1:5432/test
    ORGBOT_BENCH_PG_URL=postgresql://postgres@127.0.0.1:5432/test python bench/http_chat.py
    python bench/http_chat.py --compare main                    # also the code of another commit

With PostgreSQL, a scratch database is created next to the given one (the URL's user must
be allowed to CREATE DATABASE) and dropped afterwards; SQLite runs on a temporary file.
Loopback only; figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS_FILE = ROOT / "bench" / "kb_eval" / "questions.jsonl"
MAX_SECONDS = 120.0
MAX_CONNECTIONS = 256
GUESTS = 500  # distinct askers: answers are remembered per user, as in real use
BARE_TOKEN = "bench-bare-token"


@dataclass
class Run:
    """What the client saw from one server."""

    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # ms, of 200 responses
    statuses: Counter[int | str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)  # answered / asked back / declined

    def row(self) -> str:
        ok = len(self.latencies)
        if not ok:
            return f"{self.name:<26} no successful answers; statuses {dict(self.statuses)}"
        lat = sorted(self.latencies)
        p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))]
        kinds = ", ".join(f"{k} {100 * n / ok:.0f}%" for k, n in self.kinds.most_common()) if self.kinds else ""
        errors = {k: v for k, v in self.statuses.items() if k != 200}
        return (
            f"{self.name:<26} {ok / self.seconds:>9.1f} {statistics.median(lat):>8.1f} {p99:>8.1f} {max(lat):>8.1f}"
            f"   {ok:>7}  {errors or '-'}  {kinds}"
        )


# ---- the servers ------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def child_env(database_url: str | None, root: Path = ROOT) -> dict[str, str]:
    """The caller's environment without its ORGBOT_ settings (they would change the
    measured configuration), plus this run's database and quiet logs; the code is
    imported from ``root``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORGBOT_") and k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(root)
    env["ORGBOT_LOG_LEVEL"] = "WARNING"
    if database_url:
        env["ORGBOT_DATABASE_URL"] = database_url
    return env


@dataclass
class Server:
    """A subprocess serving HTTP on ``url`` with bearer ``token``."""

    name: str
    url: str
    token: str
    proc: asyncio.subprocess.Process
    log: IO[bytes]  # the server's stderr: a file, so a chatty server never blocks on a full pipe
    drain: asyncio.Task[bytes]  # reads the rest of its stdout for the same reason


def tail(log: IO[bytes], chars: int = 2000) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")[-chars:]


@contextlib.asynccontextmanager
async def running(
    name: str, args: list[str], env: dict[str, str], ready: str, url: str, token: str, cwd: Path = ROOT
) -> AsyncIterator[Server]:
    """A server subprocess from its ``ready`` line on, stopped with SIGTERM (as an operator
    would) afterwards; one that does not start or exit cleanly shows its log."""
    with tempfile.TemporaryFile() as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=log, cwd=cwd
        )
        assert proc.stdout is not None
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), 120)
        except TimeoutError:
            line = b""
        if ready not in line.decode():
            proc.kill()
            await proc.wait()
            raise SystemExit(f"{name} did not start: {line.decode()!r}\n{tail(log)}")
        server = Server(name, url, token, proc, log, asyncio.create_task(proc.stdout.read()))
        try:
            yield server
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(proc.wait(), 60)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
            await server.drain
            if proc.returncode not in (0, -signal.SIGTERM):
                print(f"{name} exited with {proc.returncode}:\n{tail(log)}", file=sys.stderr)


@contextlib.asynccontextmanager
async def orgbot(name: str, database_url: str | None, root: Path = ROOT) -> AsyncIterator[Server]:
    """`orgbot demo --no-serve`, then `orgbot run` on its configuration (code from ``root``)."""
    with tempfile.TemporaryDirectory(prefix="orgbot-http-bench-") as tmp:
        folder = Path(tmp) / "demo"
        port = free_port()
        env = child_env(database_url, root)
        prepare = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "demo",
            "--dir",
            str(folder),
            "--port",
            str(port),
            "--no-serve",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=root,
        )
        out, err = await asyncio.wait_for(prepare.communicate(), 300)
        if prepare.returncode != 0:
            raise SystemExit(f"orgbot demo failed:\n{out.decode()}\n{err.decode()[-2000:]}")
        config = folder / "orgbot.toml"
        token = tomllib.loads(config.read_text("utf-8"))["api"]["token"]
        args = ["-m", "bot.cli", "run", "--config", str(config), "--host", "127.0.0.1", "--port", str(port)]
        async with running(name, args, env, "已启动", f"http://127.0.0.1:{port}", token, cwd=root) as server:
            yield server


@contextlib.asynccontextmanager
async def bare() -> AsyncIterator[Server]:
    """This script's own minimal aiohttp server, in a subprocess like orgbot's."""
    port = free_port()
    args = [str(Path(__file__).resolve()), "--bare-server", str(port)]
    async with running("bare", args, child_env(None), "ready", f"http://127.0.0.1:{port}", BARE_TOKEN) as server:
        yield server


def serve_bare(port: int) -> None:
    """Same route, token check and JSON in and out as the API; no bot behind it."""

    async def chat(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {BARE_TOKEN}":
            return web.json_response({"error": "令牌无效"}, status=401)
        body = json.loads(await request.text())
        text = {"text": f"收到：{body['text']}", "format": "text", "private": False}
        return web.json_response({"replies": [text]}, dumps=lambda o: json.dumps(o, ensure_ascii=False))

    app = web.Application()
    app.router.add_post("/api/v1/chat", chat)

    async def ready(_: web.Application) -> None:
        print("ready", flush=True)

    app.on_startup.append(ready)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# ---- the client -------------------------------------------------------------------------
def questions() -> list[str]:
    return [json.loads(line)["q"] for line in QUESTIONS_FILE.read_text("utf-8").splitlines() if line.strip()]


def kind_of(reply_text: str) -> str:
    """How the bot answered, from its Chinese reply (for the printed mix only)."""
    if "没有找到能准确回答" in reply_text:
        return "declined"
    if "您想问的是下面哪一条" in reply_text:
        return "asked back"
    if "如果答非所问" in reply_text:
        return "answered"
    return "other"


async def load(server: Server, seconds: float, connections: int, qs: list[str], warmup: int = 32) -> Run:
    run = Run(server.name)
    headers = {"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"}
    bodies = [
        json.dumps({"user_id": f"bench-guest-{i % GUESTS}", "text": qs[i % len(qs)]}, ensure_ascii=False).encode()
        for i in range(len(qs) * 4)
    ]
    url = server.url + "/api/v1/chat"
    connector = aiohttp.TCPConnector(limit=connections, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        for body in bodies[:warmup]:  # first questions build caches and connections
            async with session.post(url, data=body, headers=headers) as resp:
                await resp.read()
        counter = iter(range(10**9))
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                body = bodies[next(counter) % len(bodies)]
                start = time.perf_counter()
                try:
                    async with session.post(url, data=body, headers=headers) as resp:
                        data = await resp.read()
                        status: int | str = resp.status
                except (aiohttp.ClientError, TimeoutError) as exc:
                    run.statuses[type(exc).__name__] += 1
                    continue
                elapsed = (time.perf_counter() - start) * 1000
                run.statuses[status] += 1
                if status == 200:
                    run.latencies.append(elapsed)
                    replies = json.loads(data).get("replies") or []
                    if server.name != "bare":
                        run.kinds[kind_of(replies[0]["text"]) if replies else "no reply"] += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        run.seconds = time.perf_counter() - began
    return run


# ---- PostgreSQL scratch database --------------------------------------------------------
@contextlib.asynccontextmanager
async def scratch_postgres(url: str) -> AsyncIterator[str]:
    """A fresh database beside ``url``'s, dropped afterwards (never the given one)."""
    import asyncpg

    parts = urlsplit(url.replace("postgresql+asyncpg://", "postgresql://"))
    admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    name = f"orgbot_http_bench_{secrets.token_hex(4)}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urlunsplit(parts._replace(path=f"/{name}"))
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


# ---- driver -----------------------------------------------------------------------------
def extract(ref: str, dest: Path) -> Path:
    """The tree of commit ``ref`` (bot, handlers, knowledge…), for a before/after run."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


async def main(args: argparse.Namespace) -> None:
    seconds = min(max(args.seconds, 1.0), MAX_SECONDS)
    connections = min(max(args.connections, 1), MAX_CONNECTIONS)
    qs = questions()
    postgres = args.postgres or os.environ.get("ORGBOT_BENCH_PG_URL")
    print(
        f"POST /api/v1/chat, {connections} connections, {seconds:.0f} s per server, {len(qs)} policy questions "
        f"(bench/kb_eval) asked in turn by {GUESTS} guests; loopback, one client process.",
        flush=True,
    )
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="orgbot-http-bench-ref-") as tmp:
        trees = [("orgbot run", ROOT)]
        if args.compare:
            trees.append((f"{args.compare[:10]} run", extract(args.compare, Path(tmp))))
        if not args.skip_bare:
            async with bare() as server:
                runs.append(await load(server, seconds, connections, qs))
        for label, root in trees:
            if not args.skip_sqlite:
                async with orgbot(f"{label}, SQLite", None, root) as server:
                    runs.append(await load(server, seconds, connections, qs))
            if postgres:
                async with scratch_postgres(postgres) as url, orgbot(f"{label}, PostgreSQL", url, root) as server:
                    runs.append(await load(server, seconds, connections, qs))
    print(
        f"\n{'server':<26} {'answers/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}   {'answers':>7}  errors  replies"
    )
    for run in runs:
        print(run.row())
    print("Issue 9 target: ≥ 400 answers/s and p99 ≤ 300 ms on SQLite and on PostgreSQL (this 2-core machine).")


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=10.0, help=f"load per server (1–{MAX_SECONDS:.0f})")
    ap.add_argument("--connections", type=int, default=64, help=f"concurrent connections (1–{MAX_CONNECTIONS})")
    ap.add_argument("--postgres", metavar="URL", help="also measure on PostgreSQL (or set ORGBOT_BENCH_PG_URL)")
    ap.add_argument("--skip-sqlite", action="store_true", help="only the bare handler (and PostgreSQL if given)")
    ap.add_argument("--skip-bare", action="store_true", help="no bare aiohttp handler row")
    ap.add_argument("--compare", metavar="REF", help="also measure the code of git commit REF (git archive)")
    ap.add_argument("--bare-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    return ap.parse_args()


if __name__ == "__main__":
    options = parse_args()
    if options.bare_server:
        serve_bare(options.bare_server)
    else:
        asyncio.run(main(options))
