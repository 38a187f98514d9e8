"""The migrations are the schema: they must build exactly what the models describe, and reverse."""

from __future__ import annotations

import importlib
import pkgutil

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData

import bot
import knowledge.store
from bot.storage import migrate
from bot.storage.base import Base
from bot.storage.db import create_engine


def all_metadata() -> list[MetaData]:
    for info in pkgutil.walk_packages(bot.__path__, "bot."):
        if info.name.rsplit(".", 1)[-1] == "models" or info.name.endswith(".storage.models"):
            importlib.import_module(info.name)
    return [Base.metadata, knowledge.store.metadata]


def _diffs(conn) -> list:
    ctx = MigrationContext.configure(conn, opts={"compare_type": False})
    diffs = []
    for md in all_metadata():
        for diff in compare_metadata(ctx, md):
            # Each metadata knows only its own tables; the others' look "removed" from its view.
            if _table_of(diff) in md.tables:
                diffs.append(diff)
    return diffs


def _table_of(diff) -> str | None:
    if isinstance(diff, list):  # column modifications come as a list of tuples
        return diff[0][2]
    kind, obj = diff[0], diff[1]
    if kind in ("add_table", "remove_table"):
        return obj.name
    if kind in ("add_column", "remove_column"):
        return diff[2]
    table = getattr(obj, "table", None)
    return table.name if table is not None else None


async def test_migrated_schema_matches_the_models(db_url):
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            diffs = await conn.run_sync(_diffs)
        assert diffs == []
    finally:
        await engine.dispose()


async def test_every_table_of_the_models_is_created(db_url):
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            existing = set(await conn.run_sync(lambda c: c.dialect.get_table_names(c)))
        wanted = {t for md in all_metadata() for t in md.tables}
        assert wanted <= existing
    finally:
        await engine.dispose()


async def test_downgrade_to_nothing_and_back(db_url):
    engine = create_engine(db_url)
    try:
        await migrate.downgrade(engine, "base")
        assert await migrate.current_revision(engine) is None
        await migrate.upgrade(engine)
        assert await migrate.is_current(engine)
    finally:
        await engine.dispose()


async def test_knowledge_table_renames_keep_every_row(db_url):
    """0013 renames two knowledge tables by copying on SQLite: nothing may be lost, either way."""
    from sqlalchemy import text

    engine = create_engine(db_url)
    faq = "INSERT INTO {t} (id, document_id, question, answer, alternates, tags, source, created_at) VALUES "
    faq += "(7, NULL, '党费怎么交', '按月交纳', '[]', '', '管理员补充', '2026-11-28 10:00:00+00')"
    asked = "INSERT INTO {t} (id, question, asked_by, best_score, created_at) VALUES "
    asked += "(3, '今年名额几个', 'u1', 0.2, '2026-11-28 10:00:00+00')"
    try:
        await migrate.downgrade(engine, "0012_records_alerts")
        async with engine.begin() as conn:
            await conn.execute(text(faq.format(t="kb_faq")))
            await conn.execute(text(asked.format(t="kb_unanswered")))
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT id, question FROM kb_faq_entries"))).all() == [(7, "党费怎么交")]
            rows = (await conn.execute(text("SELECT id, asked_by FROM kb_unanswered_questions"))).all()
            assert rows == [(3, "u1")]
        await migrate.downgrade(engine, "0012_records_alerts")
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM kb_faq"))).scalar() == 1
        await migrate.upgrade(engine)
        async with engine.begin() as conn:  # new rows still get ids of their own
            await conn.execute(
                text(
                    "INSERT INTO kb_unanswered_questions (question, created_at) VALUES ('再问一次', '2026-11-28 11:00:00+00')"
                )
            )
            ids = (await conn.execute(text("SELECT id FROM kb_unanswered_questions"))).scalars().all()
            assert len(set(ids)) == 2
    finally:
        await engine.dispose()
