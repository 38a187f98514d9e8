"""The store works on PostgreSQL (asyncpg) too; runs in a private schema of the server
named by the one test switch, ORGBOT_TEST_DATABASE_URL (skipped when it is not set,
failing when it is set and the server does not answer)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage.db import normalize_url
from knowledge import KnowledgeBase, KnowledgeImportError, bundled_corpus, metadata
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(not PG_URL, reason="set ORGBOT_TEST_DATABASE_URL to run on PostgreSQL")


async def test_import_ask_and_versions_on_postgres(tmp_path: Path) -> None:
    schema = f"kb_test_{os.getpid()}"
    admin = create_async_engine(normalize_url(PG_URL))
    async with admin.begin() as conn:
        await conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    engine = create_async_engine(normalize_url(PG_URL), execution_options={"schema_translate_map": {None: schema}})
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        kb = await KnowledgeBase.open(engine, tmp_path / "idx")
        report = await kb.import_paths([bundled_corpus()])
        assert len(report.added) == 4
        ans = await kb.ask("入党积极分子多久考察一次", user_id="pg")
        assert ans.status == "answered" and "第十一条" in ans.sources[0].locator
        assert await kb.record_feedback("有用", user_id="pg")
        assert (await kb.ask("食堂几点开饭")).status == "unknown"
        assert (await kb.stats())["unanswered"] == 1
        bad = tmp_path / "bad"
        bad.mkdir()
        (bad / "empty.txt").write_text("", encoding="utf-8")
        with pytest.raises(KnowledgeImportError):
            await kb.import_paths([bad])
        assert len(await kb.list_documents()) == 4
        assert await kb.remove("demo_faq")
    finally:
        await engine.dispose()
        async with admin.begin() as conn:
            await conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()
