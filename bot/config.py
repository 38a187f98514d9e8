"""Configuration: one TOML file, every key overridable by ``ORGBOT_SECTION_KEY``.

Secrets reach production through the environment, so every key must be reachable
that way; and a typo in a key must stop start-up loudly instead of silently falling
back to a default, which is why unknown keys are errors with a suggestion.
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import json
import os
import tomllib
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.cadres.config import CadresConfig
from bot.channels.config import DingtalkConfig, FeishuConfig, WecomConfig
from bot.kb_config import KnowledgeConfig
from bot.redaction import protect_config, redact

# Features own their sections (bot/cadres/config.py, bot/kb_config.py, bot/channels/config.py);
# Config composes them so ``config.cadres`` etc. keep working, and re-exports the names.
__all__ = [
    "CadresConfig",
    "Config",
    "ConfigError",
    "DingtalkConfig",
    "FeishuConfig",
    "KnowledgeConfig",
    "WecomConfig",
    "load_config",
]

ENV_PREFIX = "ORGBOT_"
CONFIG_ENV = "ORGBOT_CONFIG"
# Looked for in the working directory when neither --config nor ORGBOT_CONFIG names a file.
LOCAL_CONFIG = "orgbot.toml"


_LOG_LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR"}
# (key, what it should be, the value found): one broken range or format rule of a section.
Problem = tuple[str, str, object]


class ConfigError(Exception):
    """A configuration problem, phrased for the person who edits the file."""


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 1_048_576
    shutdown_timeout: float = 15.0

    def problems(self) -> Iterator[Problem]:
        if not 0 < self.port < 65536:
            yield "port", " 1–65535 之间的端口号", self.port
        if self.max_body_bytes < 1024:
            yield "max_body_bytes", "不小于 1024 的字节数", self.max_body_bytes


@dataclass
class DatabaseConfig:
    url: str = "sqlite+aiosqlite:///data/orgbot.db"
    auto_migrate: bool = True
    echo: bool = False
    pool_size: int = 5
    max_overflow: int = 10

    def problems(self) -> Iterator[Problem]:
        if not self.url.split(":", 1)[0].startswith(("sqlite", "postgresql", "postgres")):
            yield "url", " sqlite:///… 或 postgresql://… 形式的数据库地址", self.url
        if self.pool_size < 1:
            yield "pool_size", "不小于 1 的连接数", self.pool_size
        if self.max_overflow < 0:
            yield "max_overflow", "不小于 0 的连接数", self.max_overflow


@dataclass
class ApiConfig:
    token: str = ""
    web_chat: bool = True
    # Staff user ids the token may speak for ("*": anyone); others become the guest ``api:<user_id>``.
    act_as: list[str] = field(default_factory=list)

    def problems(self) -> Iterator[Problem]:
        if "*" in self.act_as and len(self.act_as) > 1:
            yield "act_as", ' ["*"]（任何人）或用户 ID 列表，二者不能混用', self.act_as


@dataclass
class LoginConfig:
    """Personal login for the web chat page (and the admin console): one-time links, session cookies."""

    link_minutes: int = 15
    idle_minutes: int = 30
    max_hours: int = 12
    secure_cookies: bool = False
    base_url: str = ""

    def problems(self) -> Iterator[Problem]:
        for key in ("link_minutes", "idle_minutes", "max_hours"):
            if getattr(self, key) < 1:
                yield key, "正整数", getattr(self, key)
        if self.base_url and not self.base_url.startswith(("http://", "https://")):
            yield "base_url", " http:// 或 https:// 开头的地址", self.base_url


@dataclass
class ConsoleConfig:
    """The admin console under /admin/: stricter session limits than the web chat, on the same login."""

    enabled: bool = True
    secure_cookies: bool = False
    idle_minutes: int = 20
    max_hours: int = 8
    page_size: int = 50
    upload_max_mb: int = 64

    def problems(self) -> Iterator[Problem]:
        for key in ("idle_minutes", "max_hours", "upload_max_mb"):
            if getattr(self, key) < 1:
                yield key, "正整数", getattr(self, key)
        if not 10 <= self.page_size <= 500:
            yield "page_size", " 10–500 之间的行数", self.page_size


@dataclass
class LogConfig:
    level: str = "INFO"
    format: str = "text"

    def problems(self) -> Iterator[Problem]:
        if self.level.upper() not in _LOG_LEVELS:
            yield "level", " DEBUG/INFO/WARNING/ERROR 之一", self.level
        if self.format not in ("text", "json"):
            yield "format", ' "text" 或 "json"', self.format


@dataclass
class MetricsConfig:
    """Who may read GET /metrics: a bearer token, or a request from one of these addresses/networks."""

    token: str = ""
    allow: list[str] = field(default_factory=lambda: ["127.0.0.1", "::1"])

    def problems(self) -> Iterator[Problem]:
        for entry in self.allow:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                yield "allow", "IP 地址或网段（如 10.0.0.0/8）的列表", self.allow
                return


@dataclass
class BotConfig:
    name: str = "组工助手"
    timezone: str = "Asia/Shanghai"
    group_mention_only: bool = True
    dedupe_hours: int = 72
    handler_timeout: float = 30.0
    replay_window_seconds: int = 3600
    answer_workers: int = 8
    answers_per_channel: int = 6
    answer_max_age_minutes: int = 240
    answer_lease_seconds: float = 30.0
    messages_per_minute: int = 30

    def problems(self) -> Iterator[Problem]:
        try:
            ZoneInfo(self.timezone)
        except Exception:
            yield "timezone", "有效的时区名（如 Asia/Shanghai）", self.timezone
        if self.answer_workers < 1:
            yield "answer_workers", "不小于 1 的数目", self.answer_workers
        if self.answers_per_channel < 1:
            yield "answers_per_channel", "不小于 1 的数目", self.answers_per_channel
        if self.answer_lease_seconds < 5:
            yield "answer_lease_seconds", "不小于 5 的秒数", self.answer_lease_seconds
        if self.dedupe_hours < 25:
            yield "dedupe_hours", "不小于 25 的小时数（平台重试可达 24 小时）", self.dedupe_hours


@dataclass
class SchedulerConfig:
    enabled: bool = True
    grace_minutes: int = 120
    quiet_start: str = "21:00"
    quiet_end: str = "08:00"
    extra_holidays: list[str] = field(default_factory=list)
    extra_workdays: list[str] = field(default_factory=list)
    leader_lock_id: int = 7_424_201
    poll_seconds: float = 2.0
    lease_seconds: float = 15.0

    def problems(self) -> Iterator[Problem]:
        for key in ("quiet_start", "quiet_end"):
            value = getattr(self, key)
            parts = value.split(":")
            if len(parts) != 2 or not all(p.isdigit() for p in parts) or int(parts[0]) > 23 or int(parts[1]) > 59:
                yield key, " HH:MM 形式的时间", value
        if self.lease_seconds < 3 * self.poll_seconds:
            yield (
                "lease_seconds",
                f"至少 poll_seconds 的 3 倍（{3 * self.poll_seconds:g} 秒），否则正常的领导实例也会失去租约",
                self.lease_seconds,
            )


@dataclass
class OutboxConfig:
    max_attempts: int = 8
    backoff_seconds: float = 30.0
    batch_size: int = 100
    local_per_second: float = 200.0


@dataclass
class Config:
    server: ServerConfig = field(default_factory=ServerConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    api: ApiConfig = field(default_factory=ApiConfig)
    login: LoginConfig = field(default_factory=LoginConfig)
    console: ConsoleConfig = field(default_factory=ConsoleConfig)
    log: LogConfig = field(default_factory=LogConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    bot: BotConfig = field(default_factory=BotConfig)
    knowledge: KnowledgeConfig = field(default_factory=KnowledgeConfig)
    cadres: CadresConfig = field(default_factory=CadresConfig)
    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)
    outbox: OutboxConfig = field(default_factory=OutboxConfig)
    wecom: WecomConfig = field(default_factory=WecomConfig)
    dingtalk: DingtalkConfig = field(default_factory=DingtalkConfig)
    feishu: FeishuConfig = field(default_factory=FeishuConfig)
    source: str = "（默认配置）"


def _sections() -> dict[str, type]:
    hints = typing.get_type_hints(Config)
    return {f.name: hints[f.name] for f in dataclasses.fields(Config) if f.name != "source"}


def _suggest(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1)
    return f"（是不是 {close[0]}？）" if close else ""


def _convert(where: str, raw: Any, target: Any, from_env: bool) -> Any:
    origin = typing.get_origin(target)
    if target is bool:
        if isinstance(raw, bool):
            return raw
        if (
            from_env
            and isinstance(raw, str)
            and raw.strip().lower() in {"1", "true", "yes", "on", "0", "false", "no", "off"}
        ):
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        raise ConfigError(f"配置项 {where} 应为 true 或 false，实际是 {redact(repr(raw))}")
    if target is int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if from_env and isinstance(raw, str):
            try:
                return int(raw.strip())
            except ValueError:
                pass
        raise ConfigError(f"配置项 {where} 应为整数，实际是 {redact(repr(raw))}")
    if target is float:
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return float(raw)
        if from_env and isinstance(raw, str):
            try:
                return float(raw.strip())
            except ValueError:
                pass
        raise ConfigError(f"配置项 {where} 应为数字，实际是 {redact(repr(raw))}")
    if target is str:
        if isinstance(raw, str):
            return raw
        raise ConfigError(f"配置项 {where} 应为字符串，实际是 {redact(repr(raw))}")
    if origin is list:
        if from_env and isinstance(raw, str):
            text = raw.strip()
            if text.startswith("["):  # the TOML/JSON form, as in the file: ["a", "b"]
                try:
                    raw = json.loads(text)
                except ValueError as exc:
                    raise ConfigError(
                        f'配置项 {where} 应为逗号分隔的列表或 ["a", "b"]，实际是 {redact(repr(raw))}'
                    ) from exc
            else:
                raw = [part.strip() for part in text.split(",") if part.strip()]
        if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
            return list(raw)
        raise ConfigError(f"配置项 {where} 应为字符串列表，实际是 {redact(repr(raw))}")
    if isinstance(target, types.UnionType):  # pragma: no cover - no such keys yet
        raise ConfigError(f"配置项 {where} 类型不受支持")
    raise ConfigError(f"配置项 {where} 类型不受支持")


def _check_values(cfg: Config, from_env: Mapping[str, str] | None = None) -> None:
    """Each section's range and format rules (its ``problems()``); the first one broken stops start-up.

    ``from_env`` maps "[section] key" to the variable that set it, so the message names it.
    """
    set_by = from_env or {}
    for sec_name in _sections():
        problems = getattr(getattr(cfg, sec_name), "problems", None)
        for key, expected, value in problems() if problems is not None else ():
            where = f"[{sec_name}] {key}"
            where = f"{set_by[where]}（{where}）" if where in set_by else where
            raise ConfigError(f"配置项 {where} 应为{expected}，实际是 {redact(repr(value))}")
    cfg.log.level = cfg.log.level.upper()


def load_config(path: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Build the configuration from defaults, then the file, then the environment."""
    env = os.environ if environ is None else environ
    if path is None:
        path = env.get(CONFIG_ENV) or None
    if path is None and Path(LOCAL_CONFIG).is_file():
        path = Path(LOCAL_CONFIG).resolve()
    data: dict[str, Any] = {}
    source = "（默认配置）"
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"找不到配置文件 {p}")
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"配置文件 {p} 格式有误：{exc}") from exc
        source = str(p)

    sections = _sections()
    cfg = Config(source=source)
    for sec_name, sec_value in data.items():
        if sec_name not in sections:
            raise ConfigError(f"未知的配置段 [{sec_name}]{_suggest(sec_name, list(sections))}")
        if not isinstance(sec_value, dict):
            raise ConfigError(f"配置段 [{sec_name}] 应为一个表（[{sec_name}] 下的键值对）")
        section = getattr(cfg, sec_name)
        hints = typing.get_type_hints(type(section))
        for key, raw in sec_value.items():
            if key not in hints:
                raise ConfigError(f"未知的配置项 [{sec_name}] {key}{_suggest(key, list(hints))}")
            setattr(section, key, _convert(f"[{sec_name}] {key}", raw, hints[key], from_env=False))

    set_by_env: dict[str, str] = {}
    for sec_name in sections:
        section = getattr(cfg, sec_name)
        hints = typing.get_type_hints(type(section))
        for key, typ in hints.items():
            env_name = f"{ENV_PREFIX}{sec_name.upper()}_{key.upper()}"
            if env_name in env:
                setattr(section, key, _convert(f"{env_name}（[{sec_name}] {key}）", env[env_name], typ, from_env=True))
                set_by_env[f"[{sec_name}] {key}"] = env_name
    _check_unknown_env(env, sections)
    protect_config(cfg)
    _check_values(cfg, set_by_env)
    return cfg


def _check_unknown_env(env: Mapping[str, str], sections: dict[str, type]) -> None:
    """An ``ORGBOT_`` variable that names no key is most likely a typo of a secret."""
    known = {CONFIG_ENV}
    for sec_name, sec_type in sections.items():
        for key in typing.get_type_hints(sec_type):
            known.add(f"{ENV_PREFIX}{sec_name.upper()}_{key.upper()}")
    for name in env:
        if name.startswith(ENV_PREFIX) and name not in known:
            raise ConfigError(f"未知的环境变量 {name}{_suggest(name, sorted(known))}")


def describe_keys() -> list[tuple[str, str, Any]]:
    """Every (section, key, default), for docs and the config-example check."""
    out: list[tuple[str, str, Any]] = []
    for sec_name, sec_type in _sections().items():
        for f in dataclasses.fields(sec_type):
            default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
            out.append((sec_name, f.name, default))
    return out
