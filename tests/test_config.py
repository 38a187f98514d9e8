"""Configuration: defaults work, every key is documented, mistakes stop start-up by name."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.config import ConfigError, describe_keys, load_config

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "orgbot.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_no_file_gives_embedded_defaults():
    cfg = load_config(None, environ={})
    assert cfg.database.url.startswith("sqlite+aiosqlite:///data/")
    assert (cfg.server.host, cfg.server.port) == ("127.0.0.1", 8080)


def test_example_documents_every_key_with_its_default():
    example = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    for section, key, default in describe_keys():
        assert key in example.get(section, {}), f"[{section}] {key} missing from config.example.toml"
        assert example[section][key] == default, f"[{section}] {key}: example shows another value than the default"
    text = EXAMPLE.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(text):
        if "=" in line and not line.lstrip().startswith("#"):
            assert any(t.lstrip().startswith("#") for t in text[max(0, i - 6) : i]), f"undocumented line: {line}"


def test_example_loads(tmp_path):
    cfg = load_config(EXAMPLE, environ={})
    assert cfg.bot.timezone == "Asia/Shanghai"


def test_misspelled_key_is_named_with_suggestion(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, "[server]\nprot = 9000\n"), environ={})
    assert "[server] prot" in str(err.value) and "port" in str(err.value)


def test_unknown_section_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"\[databse\].*database"):
        load_config(write(tmp_path, "[databse]\nurl = 'sqlite:///x.db'\n"), environ={})


def test_wrong_type_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"\[server\] port.*整数"):
        load_config(write(tmp_path, "[server]\nport = 'eighty'\n"), environ={})


def test_bad_value_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"\[server\] port"):
        load_config(write(tmp_path, "[server]\nport = 70000\n"), environ={})
    with pytest.raises(ConfigError, match=r"\[bot\] timezone"):
        load_config(write(tmp_path, "[bot]\ntimezone = 'Mars/Base'\n"), environ={})
    with pytest.raises(ConfigError, match=r"\[database\] url"):
        load_config(write(tmp_path, "[database]\nurl = 'mysql://x'\n"), environ={})


def test_broken_toml_is_reported(tmp_path):
    with pytest.raises(ConfigError, match="格式有误"):
        load_config(write(tmp_path, "[server\nport = 1\n"), environ={})


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(ConfigError, match="找不到配置文件"):
        load_config(tmp_path / "nope.toml", environ={})


def test_environment_overrides_file(tmp_path):
    path = write(tmp_path, "[server]\nport = 9000\n[api]\ntoken = 'from-file'\n")
    cfg = load_config(
        path,
        environ={
            "ORGBOT_SERVER_PORT": "9100",
            "ORGBOT_API_TOKEN": "s3cret",
            "ORGBOT_DATABASE_URL": "postgresql://u@h/db",
            "ORGBOT_BOT_GROUP_MENTION_ONLY": "false",
            "ORGBOT_SCHEDULER_EXTRA_HOLIDAYS": "2027-01-01, 2027-02-06",
        },
    )
    assert cfg.server.port == 9100
    assert cfg.api.token == "s3cret"
    assert cfg.database.url == "postgresql://u@h/db"
    assert cfg.bot.group_mention_only is False
    assert cfg.scheduler.extra_holidays == ["2027-01-01", "2027-02-06"]


def test_config_path_from_environment(tmp_path):
    path = write(tmp_path, "[server]\nport = 9001\n")
    assert load_config(None, environ={"ORGBOT_CONFIG": str(path)}).server.port == 9001


def test_bad_environment_value_is_named():
    with pytest.raises(ConfigError, match="ORGBOT_SERVER_PORT"):
        load_config(None, environ={"ORGBOT_SERVER_PORT": "http"})


def test_out_of_range_environment_value_names_the_variable():
    with pytest.raises(ConfigError, match=r"ORGBOT_SERVER_PORT（\[server\] port）.*99999"):
        load_config(None, environ={"ORGBOT_SERVER_PORT": "99999"})


def test_list_from_environment_takes_commas_or_the_toml_form():
    for value in ("2027-01-01, 2027-01-02", '["2027-01-01", "2027-01-02"]'):
        cfg = load_config(None, environ={"ORGBOT_SCHEDULER_EXTRA_HOLIDAYS": value})
        assert cfg.scheduler.extra_holidays == ["2027-01-01", "2027-01-02"]
    with pytest.raises(ConfigError, match="ORGBOT_SCHEDULER_EXTRA_HOLIDAYS"):
        load_config(None, environ={"ORGBOT_SCHEDULER_EXTRA_HOLIDAYS": '["2027-01-01"'})


def test_misspelled_environment_variable_is_named():
    with pytest.raises(ConfigError, match=r"ORGBOT_API_TOKN.*ORGBOT_API_TOKEN"):
        load_config(None, environ={"ORGBOT_API_TOKN": "x"})


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///data/x.db", "sqlite+aiosqlite:///data/x.db"),
        ("postgresql://postgres@127.0.0.1:5432/test", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"),
        ("postgresql+asyncpg://u:p@h/db", "postgresql+asyncpg://u:p@h/db"),
    ],
)
def test_plain_database_urls_get_async_driver(given, expected):
    from bot.storage.db import normalize_url

    assert normalize_url(given) == expected


def test_features_own_their_sections_and_unknown_keys_still_stop_start_up(tmp_path):
    from bot.cadres.config import CadresConfig
    from bot.channels.config import DingtalkConfig
    from bot.kb_config import KnowledgeConfig

    cfg = load_config(write(tmp_path, "[cadres]\nlookups_per_day = 5\n[knowledge]\nfollowup_minutes = 2\n"), environ={})
    assert isinstance(cfg.cadres, CadresConfig) and cfg.cadres.lookups_per_day == 5
    assert isinstance(cfg.knowledge, KnowledgeConfig) and isinstance(cfg.dingtalk, DingtalkConfig)
    with pytest.raises(ConfigError, match=r"\[cadres\] lookups_per_dya.*lookups_per_day"):
        load_config(write(tmp_path, "[cadres]\nlookups_per_dya = 5\n"), environ={})
    with pytest.raises(
        ConfigError, match=r"ORGBOT_DINGTALK_REPLAY_WINDOW_SECONDS（\[dingtalk\] replay_window_seconds）"
    ):
        load_config(None, environ={"ORGBOT_DINGTALK_REPLAY_WINDOW_SECONDS": "0"})
    with pytest.raises(ConfigError, match=r"\[scheduler\] lease_seconds.*3 倍"):
        load_config(write(tmp_path, "[scheduler]\npoll_seconds = 10.0\nlease_seconds = 20.0\n"), environ={})
