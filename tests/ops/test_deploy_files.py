"""The shipped deployment files, checked by the tools that will read them (what can run here: no docker)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.ops.nginx import NGINX, check, site_config
from tests.test_cli import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (.ci/run installs Debian's nginx-light)")
def test_nginx_config_passes_nginx_t(tmp_path):
    main = site_config(tmp_path, free_port(), free_port(), [free_port(), free_port()])
    r = check(main)
    assert r.returncode == 0, r.stderr
    assert "syntax is ok" in r.stderr


def test_nginx_config_routes_and_limits():
    site = (ROOT / "deploy" / "nginx" / "orgbot.conf").read_text()
    assert "location /callback/" in site and "location /admin/" in site and "location = /metrics" in site
    assert re.search(r"client_max_body_size 1m;", site), "must match [server] max_body_bytes (1 MiB)"
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Real-IP", "X-Request-Id"):
        assert f"proxy_set_header {header}" in site
    assert "ssl_certificate " in site and "return 301 https://" in site


def test_systemd_unit_verifies(tmp_path):
    unit = (ROOT / "deploy" / "systemd" / "orgbot@.service").read_text()
    for needed in ("User=orgbot", "EnvironmentFile=", "Restart=on-failure", "KillSignal=SIGTERM", "TimeoutStopSec="):
        assert needed in unit
    assert "User=root" not in unit
    stop = int(re.search(r"TimeoutStopSec=(\d+)", unit).group(1))  # type: ignore[union-attr]
    from bot.config import ServerConfig

    assert stop > ServerConfig().shutdown_timeout, "systemd must wait longer than orgbot's own drain"
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    fake_bin = tmp_path / "orgbot"
    fake_bin.write_text("#!/bin/sh\nexit 0\n")
    fake_bin.chmod(0o755)
    local = unit.replace("/opt/orgbot/venv/bin/orgbot", str(fake_bin))
    path = tmp_path / "orgbot@8081.service"
    path.write_text(local)
    r = subprocess.run(
        [analyze, "verify", "--man=no", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert r.returncode == 0, r.stderr
    assert "Unknown key" not in r.stderr and "Unknown section" not in r.stderr, r.stderr


def test_dockerfile_runs_as_non_root_with_healthcheck():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", text, re.M)
    assert re.search(r"^USER orgbot", text, re.M) and "HEALTHCHECK" in text and "/readyz" in text
    assert "--no-index" in text and "requirements.lock" in text


def test_compose_has_postgres_two_instances_and_nginx():
    import yaml  # type: ignore[import-untyped]

    compose = yaml.safe_load((ROOT / "deploy" / "compose" / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "migrate", "orgbot1", "orgbot2", "nginx"} <= set(services)
    for name in ("orgbot1", "orgbot2"):
        assert services[name]["environment"]["ORGBOT_DATABASE_AUTO_MIGRATE"] == "false"
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["command"] == ["orgbot", "db", "upgrade"]
    mounted = " ".join(services["nginx"]["volumes"])
    assert "../nginx/orgbot.conf" in mounted and "nginx-upstream.conf" in mounted
    for mount in services["nginx"]["volumes"]:
        source = mount.split(":")[0]
        if source.startswith("."):
            if "tls" in source:
                continue
            assert (ROOT / "deploy" / "compose" / source).resolve().exists(), source
