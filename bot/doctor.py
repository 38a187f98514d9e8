"""``orgbot doctor``: check a deployment and say what to fix.

Each check returns findings phrased for the operator. A finding names configuration
keys, addresses and error codes, never a value of a secret: the output is meant to be
pasted into a ticket.
"""

from __future__ import annotations

import ipaddress
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from pathlib import Path

import aiohttp
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.channels.base import DeliveryError
from bot.channels.outbound import ApiResponse, call_json
from bot.config import Config
from bot.storage import connection_errors, migrate
from bot.storage.db import create_engine, normalize_url

# Platforms refuse callbacks whose signed timestamp is off; DingTalk's window defaults to 60 s.
MAX_CLOCK_SKEW_SECONDS = 30.0


class Level(StrEnum):
    OK = "ok"
    WARN = "warn"
    PROBLEM = "problem"


@dataclass(frozen=True)
class Finding:
    check: str
    level: Level
    message: str


Check = Callable[[Config], Awaitable[list[Finding]]]


def _ok(check: str, message: str) -> Finding:
    return Finding(check, Level.OK, message)


def _warn(check: str, message: str) -> Finding:
    return Finding(check, Level.WARN, message)


def _problem(check: str, message: str) -> Finding:
    return Finding(check, Level.PROBLEM, message)


async def check_config(config: Config) -> list[Finding]:
    found = [_ok("配置", f"配置文件：{config.source}")]
    if config.source == "（默认配置）":
        found.append(_warn("配置", "没有找到配置文件，使用默认值：请用 --config、ORGBOT_CONFIG 或 ./orgbot.toml 指定"))
    if not config.api.token:
        found.append(_warn("配置", "[api] token 为空：每次启动都会生成临时令牌，HTTP 接口的调用方会失效"))
    if not config.database.url.startswith("postgres"):
        found.append(_warn("配置", "使用 SQLite：只能运行一个实例；多实例部署请改用 PostgreSQL"))
    return found


async def check_database(config: Config) -> list[Finding]:
    where = connection_errors.where(config.database.url)
    engine = create_engine(config.database.url)
    try:
        try:
            current = await migrate.current_revision(engine)
        except Exception as exc:
            said = connection_errors.describe(exc, config.database.url)
            return [_problem("数据库", said or f"数据库连接失败（{where}）：{type(exc).__name__}")]
        found = [_ok("数据库", f"可以连接：{where}")]
        head = migrate.head_revision()
        if current != head:
            found.append(
                _problem("数据库", f"结构版本为 {current or '空'}，最新为 {head}：请运行 `orgbot db upgrade`")
                if not config.database.auto_migrate or current is None
                else _warn("数据库", f"结构版本为 {current}，启动时将自动升级到 {head}（auto_migrate = true）")
            )
        else:
            found.append(_ok("数据库", f"结构版本已是最新（{head}）"))
        try:
            async with engine.connect() as conn:
                trans = await conn.begin()
                try:
                    await conn.execute(text("CREATE TEMPORARY TABLE orgbot_doctor_probe (n integer)"))
                    await conn.execute(text("INSERT INTO orgbot_doctor_probe (n) VALUES (1)"))
                finally:
                    await trans.rollback()
            found.append(_ok("数据库", "测试写入成功（已回滚）"))
        except Exception as exc:
            found.append(_problem("数据库", f"无法写入（{type(exc).__name__}）：检查只读副本、磁盘空间或文件权限"))
        return found
    finally:
        await engine.dispose()


def _writable(folder: Path) -> str | None:
    """Whether the service could write there; a missing folder is judged by the parent it would be made in."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} 不是文件夹"
    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".orgbot-doctor-"):
            pass
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None


async def check_folders(config: Config) -> list[Finding]:
    folders = {"[knowledge] index_dir": Path(config.knowledge.index_dir)}
    url = make_url(normalize_url(config.database.url))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        folders["SQLite 数据库所在文件夹"] = Path(url.database).expanduser().parent
    found = []
    for label, folder in folders.items():
        error = _writable(folder)
        if error:
            found.append(_problem("文件夹", f"{label}（{folder.resolve()}）不可写：{error}。请检查属主与权限"))
        else:
            found.append(_ok("文件夹", f"{label} 可写（{folder.resolve()}）"))
    return found


@dataclass(frozen=True)
class Credentials:
    name: str
    keys: str
    api_base: str
    fetch: Callable[[aiohttp.ClientSession], Awaitable[ApiResponse]]
    accepted: Callable[[ApiResponse], bool]


def _platforms(config: Config) -> list[Credentials]:
    out = []
    w, d, f = config.wecom, config.dingtalk, config.feishu
    if w.corp_id and w.secret:
        out.append(
            Credentials(
                "企业微信",
                "[wecom] corp_id / secret",
                w.api_base,
                lambda s: call_json(
                    s,
                    "GET",
                    f"{w.api_base}/cgi-bin/gettoken",
                    what="企业微信 gettoken",
                    params={"corpid": w.corp_id, "corpsecret": w.secret},
                ),
                lambda r: r.body.get("errcode", 0) == 0 and bool(r.body.get("access_token")),
            )
        )
    if d.app_key and d.app_secret:
        out.append(
            Credentials(
                "钉钉",
                "[dingtalk] app_key / app_secret",
                d.api_base,
                lambda s: call_json(
                    s,
                    "POST",
                    f"{d.api_base}/v1.0/oauth2/accessToken",
                    what="钉钉 accessToken",
                    json_body={"appKey": d.app_key, "appSecret": d.app_secret},
                ),
                lambda r: r.status == 200 and bool(r.body.get("accessToken")),
            )
        )
    if f.app_id and f.app_secret:
        out.append(
            Credentials(
                "飞书",
                "[feishu] app_id / app_secret",
                f.api_base,
                lambda s: call_json(
                    s,
                    "POST",
                    f"{f.api_base}/open-apis/auth/v3/tenant_access_token/internal",
                    what="飞书 tenant_access_token",
                    json_body={"app_id": f.app_id, "app_secret": f.app_secret},
                ),
                lambda r: r.body.get("code", 0) == 0 and bool(r.body.get("tenant_access_token")),
            )
        )
    return out


def _skew(resp: ApiResponse, sent: float, received: float) -> float | None:
    """Platform clock minus ours, from the response's Date header (1 s resolution)."""
    header = resp.headers.get("Date")
    if not header:
        return None
    try:
        theirs = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    ours = datetime.fromtimestamp((sent + received) / 2, UTC)
    return (theirs - ours).total_seconds()


def _code(resp: ApiResponse) -> str:
    for key in ("errcode", "code"):
        if key in resp.body:
            return f"{key} {resp.body[key]}"
    return f"HTTP {resp.status}"


async def check_platforms(config: Config) -> list[Finding]:
    platforms = _platforms(config)
    if not platforms:
        return [_ok("企业 IM", "未配置需要获取令牌的平台（企业微信 secret / 钉钉 app_secret / 飞书 app_secret）")]
    found = []
    async with aiohttp.ClientSession() as session:
        for p in platforms:
            sent = time.time()
            try:
                resp = await p.fetch(session)
            except DeliveryError as exc:
                found.append(
                    _problem(
                        p.name,
                        f"无法连接 {p.api_base}（{exc}）：检查 api_base、DNS、防火墙或出网代理",
                    )
                )
                continue
            received = time.time()
            if p.accepted(resp):
                found.append(_ok(p.name, f"凭据有效：已从 {p.api_base} 取得访问令牌"))
            else:
                found.append(_problem(p.name, f"凭据被拒绝（{_code(resp)}）：请检查 {p.keys}"))
            skew = _skew(resp, sent, received)
            if skew is None:
                found.append(_warn("时钟", f"{p.name} 的响应没有 Date 头，无法比较时钟"))
            elif abs(skew) > MAX_CLOCK_SKEW_SECONDS:
                found.append(
                    _problem(
                        "时钟",
                        f"本机时钟与{p.name}相差 {skew:+.0f} 秒：平台回调会因时间戳超出窗口被拒绝。请配置 NTP（chrony/timesyncd）",
                    )
                )
            else:
                found.append(_ok("时钟", f"本机时钟与{p.name}相差 {skew:+.0f} 秒"))
    return found


async def check_holidays(config: Config) -> list[Finding]:
    from zoneinfo import ZoneInfo

    from bot.scheduling.workdays import WorkCalendar

    calendar = WorkCalendar.from_config(config.scheduler.extra_holidays, config.scheduler.extra_workdays)
    year = datetime.now(ZoneInfo(config.bot.timezone)).year
    missing = [y for y in (year, year + 1) if not calendar.knows_year(y)]
    if not missing:
        return [_ok("节假日", f"已知 {year} 和 {year + 1} 年的法定节假日")]
    years = "、".join(str(y) for y in missing)
    return [
        _problem(
            "节假日",
            f"不知道 {years} 年的法定节假日与调休：升级 chinese-calendar 包，或在 [scheduler] extra_holidays / "
            "extra_workdays 中写入国务院办公厅公布的日期；否则“工作日”提醒会把节假日当作工作日",
        )
    ]


def _loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _wide(entry: str) -> bool:
    network = ipaddress.ip_network(entry, strict=False)
    return not network.is_loopback and network.num_addresses > 256


async def check_exposure(config: Config) -> list[Finding]:
    host = config.server.host
    found = []
    if _loopback(host):
        found.append(_ok("暴露面", f"服务只监听本机（{host}），由 nginx 对外"))
    else:
        found.append(
            _warn("暴露面", f"服务监听 {host}：请确认只有 nginx（或防火墙允许的地址）能连到 {config.server.port} 端口")
        )
    if not config.metrics.token and any(_wide(a) for a in config.metrics.allow):
        found.append(
            _problem(
                "暴露面", "/metrics 没有 [metrics] token，且 [metrics] allow 包含大网段：请收窄 allow 或设置 token"
            )
        )
    elif (
        not _loopback(host)
        and not config.metrics.token
        and any(not ipaddress.ip_network(a, strict=False).is_loopback for a in config.metrics.allow)
    ):
        found.append(_warn("暴露面", "/metrics 仅靠地址白名单保护：建议同时设置 [metrics] token"))
    else:
        found.append(_ok("暴露面", "/metrics 受 token 或本机地址白名单保护"))
    if "*" in config.api.act_as and not _loopback(host):
        found.append(
            _problem(
                "暴露面", '[api] act_as = ["*"] 且服务对外监听：持有令牌者可冒充任何人（含管理员），请改为具体用户 ID'
            )
        )
    base = config.login.base_url
    if base.startswith("https://") and not config.login.secure_cookies:
        found.append(
            _problem(
                "暴露面",
                "[login] base_url 为 HTTPS，但 [login] secure_cookies = false：管理后台会话 Cookie 可能经明文泄露",
            )
        )
    elif not _loopback(host) and not base.startswith("https://"):
        found.append(
            _warn(
                "暴露面",
                "管理后台与网页聊天未经 HTTPS 暴露：请在 nginx 上启用 TLS，并设置 [login] base_url 与 secure_cookies = true",
            )
        )
    return found


CHECKS: tuple[Check, ...] = (
    check_config,
    check_database,
    check_folders,
    check_platforms,
    check_holidays,
    check_exposure,
)


async def run_checks(config: Config, checks: tuple[Check, ...] = CHECKS) -> list[Finding]:
    found: list[Finding] = []
    for check in checks:
        try:
            found += await check(config)
        except Exception as exc:  # a check that breaks is itself a finding, never a traceback with secrets
            found.append(_problem(check.__name__.removeprefix("check_"), f"检查失败：{type(exc).__name__}"))
    return found


def secret_values(config: Config) -> list[str]:
    """Every configured secret, so tests (and the CLI's last guard) can make sure none is printed."""
    values = [
        config.api.token,
        config.metrics.token,
        config.wecom.secret,
        config.wecom.token,
        config.wecom.encoding_aes_key,
        config.wecom.bot_token,
        config.wecom.bot_encoding_aes_key,
        config.wecom.webhook_key,
        config.dingtalk.app_secret,
        config.dingtalk.webhook_secret,
        config.feishu.app_secret,
        config.feishu.verification_token,
        config.feishu.encrypt_key,
        config.feishu.webhook_secret,
    ]
    password = make_url(normalize_url(config.database.url)).password
    if password:
        values.append(str(password))
    return [v for v in values if v and len(v) >= 4]


def redact(text: str, secrets: list[str]) -> str:
    for value in sorted(secrets, key=len, reverse=True):
        text = text.replace(value, "******")
    return text
