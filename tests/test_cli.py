"""The ``orgbot`` command as a newcomer uses it: real subprocesses, real databases."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.support.ports import free_port
from bot.cli import build_parser


def orgbot(
    *args: str,
    db_url: str | None = None,
    stdin: str = "",
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ORGBOT_")}
    if db_url:
        full_env["ORGBOT_DATABASE_URL"] = db_url
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=timeout,
    )


def test_help_lists_every_subcommand_with_a_description():
    out = orgbot("--help").stdout
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name in sub.choices:
        line = next((ln for ln in out.splitlines() if ln.strip().startswith(name + " ")), "")
        assert line.strip() != name and len(line.split(None, 1)) == 2, f"{name} has no one-line description"


def test_piped_help_prints_features(tmp_path):
    result = orgbot("chat", stdin="/帮助\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "可以帮您" in result.stdout
    assert (tmp_path / "data" / "orgbot.db").exists(), "default database lives under ./data/"


def test_each_piped_line_is_one_message(db_url):
    result = orgbot("chat", "--user", "u1", db_url=db_url, stdin="/帮助\n\n/不存在\n")
    assert result.returncode == 0, result.stderr
    assert "可以帮您" in result.stdout and "没有 /不存在 这个命令" in result.stdout


def test_config_typo_stops_with_the_key_named(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[server]\nprot = 9000\n", encoding="utf-8")
    result = orgbot("--config", str(cfg), "run")
    assert result.returncode == 2
    assert "[server] prot" in result.stderr and "port" in result.stderr
    result = orgbot("run", "--config", str(cfg))
    assert "[server] prot" in result.stderr


def test_bad_value_from_environment_stops_start_up():
    result = orgbot("run", env={"ORGBOT_SERVER_PORT": "abc"})
    assert result.returncode == 2 and "ORGBOT_SERVER_PORT" in result.stderr


def test_staff_add_list_set_role(db_url):
    r = orgbot("staff", "add", "wangwu", "--name", "王五", "--im", "wecom:WangWu", db_url=db_url)
    assert r.returncode == 0, r.stderr
    assert "已添加" in r.stdout
    r = orgbot("staff", "set-role", "wangwu", "organizer", db_url=db_url)
    assert r.returncode == 2 and "单位范围" in r.stderr
    r = orgbot("staff", "set-role", "wangwu", "organizer", "--scope", "U01", db_url=db_url)
    assert r.returncode == 0 and "组织员" in r.stdout
    listing = orgbot("staff", "list", db_url=db_url).stdout
    assert "wangwu" in listing and "组织员" in listing and "wecom:WangWu" in listing
    r = orgbot("staff", "set-im", "wangwu", "feishu:ou_ww", "wecom:", db_url=db_url)
    assert r.returncode == 0 and "feishu:ou_ww" in r.stdout and "wecom" not in r.stdout, r.stdout + r.stderr
    chat = orgbot("chat", "--user", "wangwu", db_url=db_url, stdin="/帮助\n").stdout
    assert "访客" not in chat
    r = orgbot("staff", "add", "bad id!", "--name", "x", db_url=db_url)
    assert r.returncode == 2 and "用户 ID" in r.stderr


def test_db_upgrade_and_refusal_when_behind(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    r = orgbot(
        "run", "--port", str(free_port()), env={"ORGBOT_DATABASE_URL": url, "ORGBOT_DATABASE_AUTO_MIGRATE": "false"}
    )
    assert r.returncode == 2 and "orgbot db upgrade" in r.stderr
    r = orgbot("db", "current", env={"ORGBOT_DATABASE_URL": url})
    assert r.returncode == 1 and "待升级" in r.stdout
    r = orgbot("db", "upgrade", env={"ORGBOT_DATABASE_URL": url})
    assert r.returncode == 0, r.stderr
    assert orgbot("db", "current", env={"ORGBOT_DATABASE_URL": url}).returncode == 0


def test_run_serves_and_shuts_down_on_sigterm(db_url):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORGBOT_")}
    env.update({"ORGBOT_DATABASE_URL": db_url, "ORGBOT_API_TOKEN": "t0ken", "ORGBOT_SERVER_PORT": str(port)})
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as resp:
                    assert resp.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError(
                        proc.stderr.read() if proc.poll() is not None else "server did not start"
                    ) from None
                time.sleep(0.2)
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/chat",
            method="POST",
            data='{"user_id": "u", "text": "/帮助"}'.encode(),
            headers={"Authorization": "Bearer t0ken"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert "可以帮您" in resp.read().decode()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        assert "stopped" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
