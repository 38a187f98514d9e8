"""Database tables and queries of the knowledge base (SQLAlchemy Core, async).

The tables live on their own ``metadata`` so the package stays standalone; the bot's
Alembic migration 0002_knowledge mirrors them. Only portable SQL is used (SQLite for
tests and small installs, PostgreSQL via asyncpg in production).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime
from itertools import pairwise

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

# Explicit constraint names, so the Alembic migration (0002_knowledge) can mirror them.
metadata = sa.MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ix": "ix_%(table_name)s_%(column_0_name)s",
    }
)

documents = sa.Table(
    "kb_documents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("doc_key", sa.String(200), nullable=False, unique=True),  # file stem
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("title_key", sa.String(300), nullable=False, index=True),  # links versions
    sa.Column("kind", sa.String(16), nullable=False),  # "text" | "faq"
    sa.Column("source_path", sa.Text, nullable=True),
    sa.Column("issuer", sa.String(200), nullable=True),
    sa.Column("issued_on", sa.Date, nullable=True),
    sa.Column("effective_on", sa.Date, nullable=True),
    sa.Column("superseded_on", sa.Date, nullable=True),
    sa.Column("is_current", sa.Boolean, nullable=False, default=True),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
)

passages = sa.Table(
    "kb_passages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "document_id",
        sa.Integer,
        sa.ForeignKey("kb_documents.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("locator", sa.String(500), nullable=False),
    sa.Column("heading", sa.Text, nullable=False, default=""),
    sa.Column("text", sa.Text, nullable=False),
)

faq_entries = sa.Table(
    "kb_faq_entries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # NULL for entries added by hand (add_faq), else the FAQ sheet they came from.
    sa.Column(
        "document_id",
        sa.Integer,
        sa.ForeignKey("kb_documents.id", ondelete="CASCADE"),
        nullable=True,
        index=True,
    ),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("answer", sa.Text, nullable=False),
    sa.Column("alternates", sa.Text, nullable=False, default=""),  # one per line
    sa.Column("tags", sa.Text, nullable=False, default=""),  # one per line
    sa.Column("source", sa.Text, nullable=False, default=""),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

unanswered = sa.Table(
    "kb_unanswered_questions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("asked_by", sa.String(200), nullable=True),
    sa.Column("best_score", sa.Float, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

feedback = sa.Table(
    "kb_feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("doc_key", sa.String(200), nullable=True),
    sa.Column("locator", sa.String(500), nullable=True),
    sa.Column("verdict", sa.String(32), nullable=False),  # e.g. "不对", "没用", "有用"
    sa.Column("comment", sa.Text, nullable=True),
    sa.Column("user_id", sa.String(200), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # An administrator's "不对": that clause is no longer given for that question.
    sa.Column("binding", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
)

# The last answer given in a conversation (a person in a chat), so that a later "不对"
# refers to it from any instance, also after a restart. One row per conversation.
last_answers = sa.Table(
    "kb_last_answers",
    metadata,
    sa.Column("conversation", sa.String(400), primary_key=True),
    sa.Column("answer", sa.Text, nullable=False),  # JSON, see decide.Answer.to_record
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


def now() -> datetime:
    """Timezone-aware UTC timestamp (stored as such on PostgreSQL)."""
    return datetime.now(UTC)


async def remember_last_answer(conn: AsyncConnection, conversation: str, answer: str) -> None:
    """Replace the conversation's last answer: one statement on SQLite and PostgreSQL, where it
    runs once per question; other databases update, then insert when there was no row."""
    values = {"conversation": conversation, "answer": answer, "updated_at": now()}
    dialect = conn.dialect.name
    if dialect in ("sqlite", "postgresql"):
        insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
        statement = insert(last_answers).values(**values)
        await conn.execute(
            statement.on_conflict_do_update(
                index_elements=[last_answers.c.conversation],
                set_={"answer": statement.excluded.answer, "updated_at": statement.excluded.updated_at},
            )
        )
        return
    where = last_answers.c.conversation == conversation
    if not (await conn.execute(last_answers.update().where(where).values(**values))).rowcount:
        await conn.execute(last_answers.insert().values(**values))


async def state_key(conn: AsyncConnection) -> str:
    """Hash of everything the search index is built from: a saved index is reused only
    while this key matches, so any import, removal or FAQ edit forces a rebuild."""
    h = hashlib.sha256()
    rows = await conn.execute(
        sa.select(documents.c.id, documents.c.content_hash, documents.c.is_current).order_by(documents.c.id)
    )
    for row in rows:
        h.update(f"d{row.id}:{row.content_hash}:{int(row.is_current)};".encode())
    rows = await conn.execute(
        sa.select(faq_entries.c.id, faq_entries.c.question, faq_entries.c.alternates, faq_entries.c.tags).order_by(
            faq_entries.c.id
        )
    )
    for row in rows:
        h.update(f"f{row.id}:{row.question}\x1f{row.alternates}\x1f{row.tags};".encode())
    return h.hexdigest()[:24]


async def refresh_current_flags(conn: AsyncConnection, title_keys: Sequence[str]) -> None:
    """Within each title, only the newest version is current; older ones get a
    superseded date (the newer one's effective/issue date) unless one was given."""
    for key in set(title_keys):
        rows = (
            await conn.execute(
                sa.select(
                    documents.c.id,
                    documents.c.issued_on,
                    documents.c.effective_on,
                    documents.c.superseded_on,
                    documents.c.imported_at,
                ).where(documents.c.title_key == key)
            )
        ).all()
        if not rows:
            continue

        def newness(r: sa.Row) -> tuple[date, datetime]:
            return (r.effective_on or r.issued_on or date.min, r.imported_at)

        ordered = sorted(rows, key=newness)
        newest = ordered[-1]
        for older, newer in pairwise(ordered):
            superseded = older.superseded_on or newer.effective_on or newer.issued_on
            await conn.execute(
                documents.update().where(documents.c.id == older.id).values(is_current=False, superseded_on=superseded)
            )
        await conn.execute(documents.update().where(documents.c.id == newest.id).values(is_current=True))
