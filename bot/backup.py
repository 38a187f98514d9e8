"""Back up and restore the bot's database.

SQLite: the online backup API copies a consistent snapshot page by page while the
service keeps running (WAL readers and the writer are not blocked for long). PostgreSQL:
``pg_dump -Fc`` / ``pg_restore``, whose major version must be at least the server's, or
the dump is refused or silently incomplete; so the versions are checked first.

A restore replaces everything, so it refuses while an instance serves that database:
for SQLite the instance's file lock (``bot/instance_lock.py``), for PostgreSQL any other
session connected to the database.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import URL, make_url

from bot.instance_lock import InstanceLock
from bot.storage.db import normalize_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupError(RuntimeError):
    """Said to the operator as it is; never contains a password."""


@dataclass(frozen=True)
class Outcome:
    path: Path
    revision: str | None
    detail: str


def _url(url: str) -> URL:
    return make_url(normalize_url(url))


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("内存数据库无法备份")
    return Path(url.database).expanduser().resolve()


def _revision_of(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return str(row[0]) if row else None


def _sqlite_backup(db: Path, target: Path) -> Outcome:
    if not db.is_file():
        raise BackupError(f"数据库文件不存在：{db}")
    tmp = target.with_name(target.name + ".partial")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst, pages=1024)
            revision = _revision_of(dst)
            check = dst.execute("PRAGMA integrity_check").fetchone()
        finally:
            dst.close()
    finally:
        src.close()
    if not check or check[0] != "ok":
        tmp.unlink(missing_ok=True)
        raise BackupError(f"备份副本校验失败：{check}")
    os.replace(tmp, target)
    return Outcome(target, revision, f"SQLite 在线备份：{db} → {target}")


def _sqlite_restore(db: Path, source: Path, url: str) -> Outcome:
    with open(source, "rb") as f:
        if f.read(16) != SQLITE_MAGIC:
            raise BackupError(f"{source} 不是 SQLite 备份文件")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        check = src.execute("PRAGMA integrity_check").fetchone()
        revision = _revision_of(src)
        if not check or check[0] != "ok":
            raise BackupError(f"{source} 已损坏（integrity_check：{check}）")
        if revision is None:
            raise BackupError(f"{source} 不是 orgbot 的数据库备份（没有 alembic_version）")
        with InstanceLock(url):  # refuses while `orgbot run` serves this file, and keeps one from starting
            db.parent.mkdir(parents=True, exist_ok=True)
            dst = sqlite3.connect(db, timeout=30)
            try:
                src.backup(dst)
                dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                dst.close()
    finally:
        src.close()
    return Outcome(db, revision, f"已从 {source} 恢复到 {db}")


def _major(version_text: str) -> int:
    """ "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)" → 15."""
    m = re.search(r"\(PostgreSQL\)\s+(\d+)", version_text) or re.search(r"(\d+)", version_text)
    if not m:
        raise BackupError(f"无法识别的版本：{version_text!r}")
    return int(m.group(1))


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"找不到 {name}。请安装与服务器同一主版本（或更新）的 PostgreSQL 客户端（Debian：apt-get install postgresql-client）"
        )
    return path


def _libpq(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection options for pg_dump/pg_restore; the password goes by PGPASSWORD, never on a command line."""
    args = ["-h", url.host or "localhost", "-p", str(url.port or 5432), "-d", url.database or ""]
    if url.username:
        args += ["-U", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


async def _pg_connect(url: URL) -> asyncpg.Connection:
    return await asyncpg.connect(
        host=url.host or "localhost",
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database,
    )


async def _pg_facts(url: URL) -> tuple[int, int, str | None]:
    """(server major version, other sessions on this database, schema revision)."""
    conn = await _pg_connect(url)
    try:
        server = int(await conn.fetchval("SHOW server_version_num")) // 10000
        others = int(
            await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        try:
            revision = await conn.fetchval("SELECT version_num FROM alembic_version")
        except asyncpg.UndefinedTableError:
            revision = None
    finally:
        await conn.close()
    return server, others, revision


def check_pg_tool(name: str, server_major: int) -> str:
    """The tool's path, if its major version can handle the server's; else a clear refusal."""
    path = _tool(name)
    out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, check=False).stdout
    major = _major(out)
    if major < server_major:
        raise BackupError(
            f"{name} 版本 {major} 低于 PostgreSQL 服务器版本 {server_major}：请安装 {server_major} 或更新版本的客户端"
        )
    return path


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{what}失败：{result.stderr.strip()[-800:]}")


async def backup(url: str, target: Path) -> Outcome:
    parsed = _url(url)
    target = target.expanduser().resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_backup(_sqlite_file(parsed), target)
    server, _, revision = await _pg_facts(parsed)
    pg_dump = check_pg_tool("pg_dump", server)
    args, env = _libpq(parsed)
    tmp = target.with_name(target.name + ".partial")
    _run([pg_dump, "-Fc", "--no-owner", "-f", str(tmp), *args], env, "pg_dump ")
    os.replace(tmp, target)
    return Outcome(target, revision, f"pg_dump 备份（自定义格式）：{target}")


async def restore(url: str, source: Path) -> Outcome:
    parsed = _url(url)
    source = source.expanduser().resolve()
    if not source.is_file():
        raise BackupError(f"备份文件不存在：{source}")
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_restore(_sqlite_file(parsed), source, url)
    with open(source, "rb") as f:
        if f.read(5) != PG_DUMP_MAGIC:
            raise BackupError(f"{source} 不是 pg_dump 自定义格式（-Fc）的备份")
    server, others, _ = await _pg_facts(parsed)
    if others:
        raise BackupError(
            f"还有 {others} 个会话连接着数据库 {parsed.database}（orgbot 实例仍在运行？）。请先停止所有实例再恢复。"
        )
    pg_restore = check_pg_tool("pg_restore", server)
    args, env = _libpq(parsed)
    _run(
        [pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction", *args, str(source)],
        env,
        "pg_restore ",
    )
    _, _, revision = await _pg_facts(parsed)
    return Outcome(source, revision, f"已从 {source} 恢复到 PostgreSQL 数据库 {parsed.database}")
