"""The knowledge base as a bot service: opened lazily, kept fresh when other processes import."""

from __future__ import annotations

import asyncio
import gc
import time
from typing import TYPE_CHECKING

from knowledge import KnowledgeBase, bundled_corpus

if TYPE_CHECKING:
    from bot.app import OrgBot

REFRESH_SECONDS = 30.0


class KnowledgeService:
    """Wraps one KnowledgeBase per bot; the CLI and the chat handler share it."""

    def __init__(self, bot: OrgBot) -> None:
        self.bot = bot
        self._kb: KnowledgeBase | None = None
        self._lock = asyncio.Lock()
        self._checked = 0.0

    async def get(self) -> KnowledgeBase:
        async with self._lock:
            if self._kb is None:
                self._kb = await KnowledgeBase.open(self.bot.engine, self.bot.config.knowledge.index_dir)
                self._checked = time.monotonic()
                if self.bot.config.knowledge.load_bundled_corpus and not await self._kb.list_documents():
                    await self._kb.import_paths([bundled_corpus()])
                # The index is long-lived: keep the collector from re-scanning it on every cycle.
                gc.freeze()
            elif time.monotonic() - self._checked > REFRESH_SECONDS:
                # Another process (an admin's `orgbot kb import`) may have changed the documents.
                await self._kb.refresh()
                self._checked = time.monotonic()
            return self._kb
