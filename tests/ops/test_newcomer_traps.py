"""The traps a newcomer fell into (issue 15), replayed with the real ``orgbot`` command."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys

import pytest

from bot.cli import build_parser
from bot.logs import request_id, setup_logging
from tests.ops.processes import start_orgbot, wait_ready
from tests.test_cli import free_port, orgbot


def test_local_orgbot_toml_is_found_without_flags(tmp_path):
    db = tmp_path / "mine.db"
    (tmp_path / "orgbot.toml").write_text(f'[database]\nurl = "sqlite:///{db}"\n', encoding="utf-8")
    r = orgbot("staff", "add", "lisi", "--name", "李四", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert db.exists() and not (tmp_path / "data" / "orgbot.db").exists()
    assert "wangwu" not in orgbot("staff", "list", cwd=tmp_path).stdout
    assert "lisi" in orgbot("staff", "list", cwd=tmp_path).stdout


def test_explicit_config_wins_over_local_file(tmp_path):
    (tmp_path / "orgbot.toml").write_text("[server]\nprot = 1\n", encoding="utf-8")  # broken on purpose
    other = tmp_path / "other.toml"
    other.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "o.db"}"\n', encoding="utf-8")
    assert orgbot("staff", "list", cwd=tmp_path, env={"ORGBOT_CONFIG": str(other)}).returncode == 0
    assert orgbot("staff", "list", "--config", str(other), cwd=tmp_path).returncode == 0
    assert "[server] prot" in orgbot("staff", "list", cwd=tmp_path).stderr


def test_a_new_or_empty_database_is_named(tmp_path):
    r = orgbot("ask", "/帮助", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "新建的空数据库" in r.stderr and "data/orgbot.db" in r.stderr and "--config" in r.stderr
    r = orgbot("chat", "--user", "u1", stdin="/帮助\n", cwd=tmp_path)
    assert "还没有人员和知识库文档" in r.stderr
    orgbot("staff", "add", "u1", "--name", "张三", cwd=tmp_path)
    assert "提示" not in orgbot("ask", "/帮助", cwd=tmp_path).stderr


def test_staff_add_warns_about_an_unknown_cadre(db_url):
    r = orgbot("staff", "add", "zhaoliu", "--name", "赵六", "--cadre", "A9999", db_url=db_url)
    assert r.returncode == 0, r.stderr
    assert "A9999" in r.stderr and "不在干部库" in r.stderr
    r = orgbot("staff", "add", "zhaoliu", "--name", "赵六", db_url=db_url)
    assert "干部库" not in r.stderr


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://postgres@127.0.0.1:{closed}/orgbot", "连接被拒绝"),
        ("postgresql://postgres@no-such-host.invalid:5432/orgbot", "找不到主机名"),
    ],
)
def test_database_connection_errors_are_one_clear_sentence(url, expected):
    r = orgbot("staff", "list", env={"ORGBOT_DATABASE_URL": url.format(closed=free_port())})
    assert r.returncode == 1
    assert "数据库连接失败" in r.stderr and expected in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.splitlines()) == 1


def test_missing_postgres_database_and_role(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (ORGBOT_TEST_DATABASE_URL)")
    from sqlalchemy.engine import make_url

    base = make_url(db_url)
    for url, expected in (
        (base.set(database="orgbot_missing_db"), "数据库不存在"),
        (base.set(username="orgbot_missing_role"), "用户名或密码"),
    ):
        r = orgbot("staff", "list", env={"ORGBOT_DATABASE_URL": url.render_as_string(hide_password=False)})
        assert r.returncode == 1 and "数据库连接失败" in r.stderr and expected in r.stderr
        assert "Traceback" not in r.stderr


def test_broken_pipe_exits_quietly(db_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORGBOT_")}
    env["ORGBOT_DATABASE_URL"] = db_url
    for args in (["schedule", "list"], ["staff", "list"], ["--help"]):
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert proc.stdout is not None
        proc.stdout.close()  # the reader is gone before the first line, as with `| head -0`
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
        assert b"Broken pipe" not in err and "错误".encode() not in err


def _help_of(*words: str) -> str:
    r = orgbot(*words, "--help", env={"COLUMNS": "80"})
    assert r.returncode == 0
    return r.stdout


def test_schedule_add_help_keeps_template_names_whole_and_every_option_explained():
    from bot.scheduling.templates import TEMPLATES

    text = _help_of("schedule", "add")
    for t in TEMPLATES:
        assert f"{t.key}（{t.name}）" in text, f"template {t.key} was cut by line wrapping"
    parser = build_parser()
    for words in (["schedule", "add"], ["schedule", "edit"], ["schedule", "show"], ["schedule", "run-now"]):
        p = parser
        for w in words:
            p = next(a for a in p._actions if a.__class__.__name__ == "_SubParsersAction").choices[w]
        for action in p._actions:
            assert action.help, f"{' '.join(words)} {action.dest} has no help text"


def _listen(port: int) -> socket.socket:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen()
    return s


def test_run_on_a_busy_port_hints_at_port(tmp_path):
    port = free_port()
    with _listen(port):
        r = orgbot("run", "--port", str(port), env={"ORGBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}"})
    assert r.returncode == 1
    assert "被占用" in r.stderr and "--port" in r.stderr and "Traceback" not in r.stderr


def test_demo_honours_server_port_and_does_not_reseed_a_running_demo(tmp_path):
    port = free_port()
    demo_dir = tmp_path / "demo"
    proc = start_orgbot("demo", "--dir", str(demo_dir), cwd=tmp_path, env={"ORGBOT_SERVER_PORT": str(port)})
    try:
        wait_ready(f"http://127.0.0.1:{port}/readyz", proc)
        db = demo_dir / "orgbot.db"
        before = db.stat().st_mtime_ns
        r = orgbot("staff", "list", "--config", str(demo_dir / "orgbot.toml"))
        staff_before = r.stdout
        second = orgbot("demo", "--dir", str(demo_dir), env={"ORGBOT_SERVER_PORT": str(port)}, cwd=tmp_path)
        assert second.returncode == 1
        assert "已载入" not in second.stdout, "the second demo seeded again"
        assert "演示已在运行" in second.stderr
        assert orgbot("staff", "list", "--config", str(demo_dir / "orgbot.toml")).stdout == staff_before
        assert db.stat().st_mtime_ns >= before
        # Another folder but the same port: refused before any seeding, with a hint.
        third = orgbot("demo", "--dir", str(tmp_path / "other"), env={"ORGBOT_SERVER_PORT": str(port)}, cwd=tmp_path)
        assert third.returncode == 1 and "--port" in third.stderr
        assert not (tmp_path / "other" / "orgbot.db").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_demo_port_flag_still_wins(tmp_path):
    port = free_port()
    r = orgbot("demo", "--dir", str(tmp_path / "d"), "--port", str(port), "--no-serve", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"port = {port}" in (tmp_path / "d" / "orgbot.toml").read_text(encoding="utf-8")


def test_json_logs_one_object_per_line():
    stream = io.StringIO()
    setup_logging("INFO", json_format=True)
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "_orgbot", False))
    handler.setStream(stream)  # type: ignore[attr-defined]
    token = request_id.set("wecom:msg-1")
    try:
        logging.getLogger("orgbot.test").info("答复 %s", "完成\n第二行")
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("orgbot.test").exception("失败")
    finally:
        request_id.reset(token)
        setup_logging("WARNING")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["message"] == "答复 完成\n第二行" and first["request_id"] == "wecom:msg-1"
    assert first["level"] == "INFO" and first["logger"] == "orgbot.test"
    assert "ValueError: boom" in second["exception"] and second["request_id"] == "wecom:msg-1"
