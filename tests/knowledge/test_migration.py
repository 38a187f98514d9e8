"""The Alembic migration 0002_knowledge creates exactly what knowledge.store declares."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from knowledge import KnowledgeBase, bundled_corpus_texts, metadata

migrate = pytest.importorskip("bot.storage.migrate")


async def test_migrated_schema_matches_store_metadata(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = create_async_engine("sqlite+aiosqlite:///" + str(tmp_path / "m.db"))
    await migrate.upgrade(engine)

    def diff(sync_conn):
        ctx = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return [
            d
            for d in compare_metadata(ctx, metadata)
            if not (d[0] == "remove_table" or (d[0] == "remove_index" and not d[1].table.name.startswith("kb_")))
        ]

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []
    kb = await KnowledgeBase.open(engine, tmp_path / "idx")
    await kb.import_paths([p for p in bundled_corpus_texts() if p.stem.startswith("fazhan")])
    assert (await kb.ask("入党积极分子多久考察一次")).status == "answered"
    await migrate.downgrade(engine, "0001_core")
    await engine.dispose()
