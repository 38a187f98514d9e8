"""The knowledge tables named as the rest are: for what one row is, in the plural
(``kb_faq`` → ``kb_faq_entries``, ``kb_unanswered`` → ``kb_unanswered_questions``), with
their keys and index renamed to match the naming convention.

Not additive: an instance of an earlier release reads the old names. docs/deploy.md says how
to upgrade past it (stop every instance, migrate, start).

Revision ID: 0013_kb_table_names
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_kb_table_names"
down_revision = "0012_records_alerts"
branch_labels = None
depends_on = None

# (old table, new table, does it have the document foreign key and its index)
RENAMES = (("kb_faq", "kb_faq_entries", True), ("kb_unanswered", "kb_unanswered_questions", False))


def _rename(old: str, new: str, with_document: bool) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.rename_table(old, new)
        op.execute(f'ALTER TABLE "{new}" RENAME CONSTRAINT "pk_{old}" TO "pk_{new}"')
        if with_document:
            fk = "document_id_kb_documents"
            op.execute(f'ALTER TABLE "{new}" RENAME CONSTRAINT "fk_{old}_{fk}" TO "fk_{new}_{fk}"')
            op.execute(f'ALTER INDEX "ix_{old}_document_id" RENAME TO "ix_{new}_document_id"')
        op.execute(f'ALTER SEQUENCE IF EXISTS "{old}_id_seq" RENAME TO "{new}_id_seq"')
        return
    # SQLite keeps constraint names inside the table's DDL: make the table anew and copy the rows.
    op.create_table(new, *_columns(new))
    op.execute(f'INSERT INTO "{new}" SELECT * FROM "{old}"')
    if with_document:
        op.drop_index(f"ix_{old}_document_id", table_name=old)
        op.create_index(f"ix_{new}_document_id", new, ["document_id"])
    op.drop_table(old)


def _columns(table: str) -> list[sa.schema.SchemaItem]:
    """Both tables as 0002_knowledge made them, under ``table``'s names (the same column order)."""
    if "faq" in table:
        return [
            sa.Column("id", sa.Integer, nullable=False),
            sa.Column("document_id", sa.Integer, nullable=True),
            sa.Column("question", sa.Text, nullable=False),
            sa.Column("answer", sa.Text, nullable=False),
            sa.Column("alternates", sa.Text, nullable=False),
            sa.Column("tags", sa.Text, nullable=False),
            sa.Column("source", sa.Text, nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
            sa.ForeignKeyConstraint(
                ["document_id"], ["kb_documents.id"], ondelete="CASCADE", name=f"fk_{table}_document_id_kb_documents"
            ),
        ]
    return [
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("asked_by", sa.String(200), nullable=True),
        sa.Column("best_score", sa.Float, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    ]


def upgrade() -> None:
    for old, new, with_document in RENAMES:
        _rename(old, new, with_document)


def downgrade() -> None:
    for old, new, with_document in RENAMES:
        _rename(new, old, with_document)
