"""Shared fixtures: a real SQLite file per test and the bundled three-text corpus."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from knowledge import KnowledgeBase, bundled_corpus_texts, metadata


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine("sqlite+aiosqlite:///" + str(tmp_path / "kb.db"))
    async with eng.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield eng
    await eng.dispose()


@pytest.fixture
async def kb(engine: AsyncEngine, tmp_path: Path) -> KnowledgeBase:
    base = await KnowledgeBase.open(engine, tmp_path / "index")
    await base.import_paths(bundled_corpus_texts())
    return base
