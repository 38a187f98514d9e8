"""``orgbot doctor`` against real databases and fake platforms on 127.0.0.1: each fault gives one clear sentence."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from aiohttp import web
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.support import dingtalk_peer, feishu_peer, wecom_peer
from bot.config import load_config
from bot.doctor import Level, run_checks, secret_values
from tests.channels.conftest import fake  # noqa: F401  (fixture)
from tests.test_cli import free_port

# A year counts as announced once its 春节 is configured (a lone 01-01 does not: see workdays.knows_year).
NEXT_YEAR_HOLIDAY = f"{datetime.now(UTC).year + 1}-01-01,{datetime.now(UTC).year + 1}-02-10"


async def doctor(env: dict[str, str], *args: str) -> tuple[int, str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("ORGBOT_")}
    full.update(env)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "doctor",
        *args,
        env=full,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


def _base(db_url: str, tmp_path) -> dict[str, str]:
    return {
        "ORGBOT_DATABASE_URL": db_url,
        "ORGBOT_API_TOKEN": "api-token-value",
        "ORGBOT_KNOWLEDGE_INDEX_DIR": str(tmp_path / "index"),
        "ORGBOT_SCHEDULER_EXTRA_HOLIDAYS": NEXT_YEAR_HOLIDAY,
    }


def _platforms(api: str) -> dict[str, str]:
    return {**wecom_peer.wecom_env(api), **dingtalk_peer.dingtalk_env(api), **feishu_peer.feishu_env(api)}


def _no_secret(env: dict[str, str], out: str) -> None:
    cfg = load_config(None, environ=env)
    for value in secret_values(cfg):
        assert value not in out, "doctor printed a secret"


async def test_a_healthy_deployment_passes(db_url, tmp_path, fake):  # noqa: F811
    env = {**_base(db_url, tmp_path), **_platforms(fake.url)}
    code, out = await doctor(env)
    assert code == 0, out
    for name in ("企业微信", "钉钉", "飞书"):
        assert f"✓ [{name}] 凭据有效" in out
    assert "✓ [数据库] 测试写入成功" in out and "结构版本已是最新" in out and "✓ [时钟]" in out
    assert "✗" not in out
    _no_secret(env, out)


async def test_wrong_secret_is_named_without_printing_it(db_url, tmp_path, fake):  # noqa: F811
    env = {
        **_base(db_url, tmp_path),
        **_platforms(fake.url),
        "ORGBOT_WECOM_SECRET": "wrong-wecom-secret-123",
        "ORGBOT_DINGTALK_APP_SECRET": "wrong-ding-secret-456",
        "ORGBOT_FEISHU_APP_SECRET": "wrong-feishu-secret-789",
    }
    code, out = await doctor(env)
    assert code == 1
    assert "✗ [企业微信] 凭据被拒绝（errcode 40001）：请检查 [wecom] corp_id / secret" in out
    assert "[dingtalk] app_key / app_secret" in out and "[feishu] app_id / app_secret" in out
    assert "wrong-" not in out
    _no_secret(env, out)


async def test_missing_database_and_closed_ports(db_url, tmp_path):
    closed = free_port()
    env = {
        **_base(f"postgresql://orgbot:db-password-xyz@127.0.0.1:{closed}/orgbot", tmp_path),
        **wecom_peer.wecom_env(f"http://127.0.0.1:{closed}"),
    }
    code, out = await doctor(env)
    assert code == 1
    assert "✗ [数据库] 数据库连接失败" in out and "连接被拒绝" in out and f"127.0.0.1:{closed}" in out
    assert "✗ [企业微信] 无法连接" in out and "api_base" in out
    assert "db-password-xyz" not in out
    _no_secret(env, out)
    if db_url.startswith("postgresql"):
        from sqlalchemy.engine import make_url

        missing = make_url(db_url).set(database="orgbot_no_such_db").render_as_string(hide_password=False)
        code, out = await doctor(_base(missing, tmp_path))
        assert code == 1 and "数据库不存在" in out


async def test_pending_migrations_unwritable_folder_and_unknown_holidays(tmp_path):
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(0o500)
    env = {
        "ORGBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}",
        "ORGBOT_DATABASE_AUTO_MIGRATE": "false",
        "ORGBOT_KNOWLEDGE_INDEX_DIR": str(locked / "index"),
    }
    try:
        code, out = await doctor(env)
    finally:
        locked.chmod(0o700)
    assert code == 1
    assert "orgbot db upgrade" in out
    if os.geteuid() != 0:  # root writes anywhere
        assert "[knowledge] index_dir" in out and "不可写" in out
    from bot.scheduling.workdays import WorkCalendar

    if not WorkCalendar.from_config([], []).knows_year(datetime.now(UTC).year + 1):
        assert "✗ [节假日]" in out and "extra_holidays" in out


async def test_clock_skew_against_the_platform(tmp_path, db_url):
    async def token(_: web.Request) -> web.Response:
        skewed = datetime.now(UTC) + timedelta(minutes=3)
        return web.json_response(
            {"code": 0, "tenant_access_token": "t", "expire": 7200},
            headers={"Date": format_datetime(skewed, usegmt=True)},
        )

    app = web.Application()
    app.router.add_post("/open-apis/auth/v3/tenant_access_token/internal", token)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        api = str(server.make_url("")).rstrip("/")
        code, out = await doctor({**_base(db_url, tmp_path), **feishu_peer.feishu_env(api)})
    finally:
        await server.close()
    assert code == 1
    assert re.search(r"✗ \[时钟\] 本机时钟与飞书相差 \+1(79|80|81) 秒", out) and "NTP" in out  # Date has 1 s resolution


async def test_exposed_metrics_and_act_as_are_problems(db_url, tmp_path):
    env = {
        **_base(db_url, tmp_path),
        "ORGBOT_SERVER_HOST": "0.0.0.0",
        "ORGBOT_METRICS_ALLOW": "0.0.0.0/0",
        "ORGBOT_API_ACT_AS": "*",
        "ORGBOT_LOGIN_BASE_URL": "https://orgbot.example.gov.cn",
    }
    code, out = await doctor(env, "--quiet")
    assert code == 1
    assert "/metrics 没有 [metrics] token" in out and 'act_as = ["*"]' in out and "secure_cookies" in out
    assert "✓" not in out  # --quiet


# A real secret is random: a leading "k9~" keeps a generated one from being an ordinary word of the report.
SECRET = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=6, max_size=24).map(
    lambda s: "k9~" + s
)


@settings(max_examples=8, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(wecom=SECRET, ding=SECRET, feishu=SECRET, api=SECRET, password=SECRET.filter(lambda s: "@" not in s))
def test_no_finding_ever_contains_a_secret(wecom, ding, feishu, api, password):
    """Whatever the secrets are, and whether they are right or wrong, no finding quotes one."""
    from urllib.parse import quote

    async def go() -> None:
        closed = free_port()
        env = {
            "ORGBOT_DATABASE_URL": f"postgresql://u:{quote(password, safe='')}@127.0.0.1:{closed}/db",
            "ORGBOT_API_TOKEN": api,
            **_platforms(f"http://127.0.0.1:{closed}"),
            "ORGBOT_WECOM_SECRET": wecom,
            "ORGBOT_DINGTALK_APP_SECRET": ding,
            "ORGBOT_FEISHU_APP_SECRET": feishu,
        }
        cfg = load_config(None, environ=env)
        findings = await run_checks(cfg)
        assert any(f.level is Level.PROBLEM for f in findings)
        text = "\n".join(f.message for f in findings)
        for value in (wecom, ding, feishu, api, password):
            assert value not in text

    asyncio.run(go())
