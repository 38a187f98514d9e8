"""The platform sections (``[wecom]``, ``[dingtalk]``, ``[feishu]``), owned by their channels.

A section may name its own range rules in ``problems()``; ``bot.config`` reports them with the
key and, when the environment set it, the variable.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass
class WecomConfig:
    corp_id: str = ""
    agent_id: str = ""
    secret: str = ""
    token: str = ""
    encoding_aes_key: str = ""
    bot_token: str = ""
    bot_encoding_aes_key: str = ""
    webhook_key: str = ""
    api_base: str = "https://qyapi.weixin.qq.com"


@dataclass
class DingtalkConfig:
    app_key: str = ""
    app_secret: str = ""
    robot_code: str = ""
    webhook_url: str = ""
    webhook_secret: str = ""
    stream: bool = False
    replay_window_seconds: int = 60
    api_base: str = "https://api.dingtalk.com"
    oapi_base: str = "https://oapi.dingtalk.com"

    def problems(self) -> Iterator[tuple[str, str, object]]:  # see bot.config.Problem
        if not 1 <= self.replay_window_seconds <= 3600:
            yield "replay_window_seconds", " 1–3600 之间的秒数（钉钉自身最多容忍 1 小时）", self.replay_window_seconds


@dataclass
class FeishuConfig:
    app_id: str = ""
    app_secret: str = ""
    verification_token: str = ""
    encrypt_key: str = ""
    webhook_url: str = ""
    webhook_secret: str = ""
    long_connection: bool = False
    api_base: str = "https://open.feishu.cn"
    # The app's message-sending quota per second; Feishu sets it per app by the tenant's plan.
    app_sends_per_second: int = 50

    def problems(self) -> Iterator[tuple[str, str, object]]:  # see bot.config.Problem
        if self.app_sends_per_second < 1:
            yield "app_sends_per_second", "不小于 1 的每秒条数", self.app_sends_per_second
