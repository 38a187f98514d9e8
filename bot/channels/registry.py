"""Which channels run: the local one always, each enterprise IM once it is configured."""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING

from bot.channels.base import Channel
from bot.channels.local import LocalChannel

if TYPE_CHECKING:
    from bot.app import OrgBot

log = logging.getLogger(__name__)

# Platform modules each expose ``from_config(config) -> Channel | None`` (None when unconfigured).
PLATFORM_MODULES = ("bot.channels.wecom", "bot.channels.dingtalk", "bot.channels.feishu")


def configured_channels(bot: OrgBot) -> list[Channel]:
    channels: list[Channel] = [LocalChannel()]
    for name in PLATFORM_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        channel = module.from_config(bot.config)
        if channel is not None:
            log.info("channel %s enabled", channel.name)
            channels.append(channel)
    return channels


def attach_channels(bot: OrgBot) -> None:
    for channel in configured_channels(bot):
        bot.add_channel(channel)
