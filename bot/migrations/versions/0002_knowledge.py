"""Knowledge base tables (policy Q&A): documents, passages, FAQ, unanswered log, feedback.

Mirrors knowledge/store.py (which keeps its own MetaData so the package stays standalone);
constraint names follow that module's naming convention.

Revision ID: 0002_knowledge
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_knowledge"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_documents",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("doc_key", sa.String(200), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("title_key", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("source_path", sa.Text, nullable=True),
        sa.Column("issuer", sa.String(200), nullable=True),
        sa.Column("issued_on", sa.Date, nullable=True),
        sa.Column("effective_on", sa.Date, nullable=True),
        sa.Column("superseded_on", sa.Date, nullable=True),
        sa.Column("is_current", sa.Boolean, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_kb_documents"),
        sa.UniqueConstraint("doc_key", name="uq_kb_documents_doc_key"),
    )
    op.create_index("ix_kb_documents_title_key", "kb_documents", ["title_key"])

    op.create_table(
        "kb_passages",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("document_id", sa.Integer, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("locator", sa.String(500), nullable=False),
        sa.Column("heading", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_kb_passages"),
        sa.ForeignKeyConstraint(
            ["document_id"], ["kb_documents.id"], ondelete="CASCADE", name="fk_kb_passages_document_id_kb_documents"
        ),
    )
    op.create_index("ix_kb_passages_document_id", "kb_passages", ["document_id"])

    op.create_table(
        "kb_faq",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("document_id", sa.Integer, nullable=True),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("alternates", sa.Text, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_kb_faq"),
        sa.ForeignKeyConstraint(
            ["document_id"], ["kb_documents.id"], ondelete="CASCADE", name="fk_kb_faq_document_id_kb_documents"
        ),
    )
    op.create_index("ix_kb_faq_document_id", "kb_faq", ["document_id"])

    op.create_table(
        "kb_unanswered",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("asked_by", sa.String(200), nullable=True),
        sa.Column("best_score", sa.Float, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_kb_unanswered"),
    )

    op.create_table(
        "kb_feedback",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("doc_key", sa.String(200), nullable=True),
        sa.Column("locator", sa.String(500), nullable=True),
        sa.Column("verdict", sa.String(32), nullable=False),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("user_id", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_kb_feedback"),
    )


def downgrade() -> None:
    op.drop_table("kb_feedback")
    op.drop_table("kb_unanswered")
    op.drop_index("ix_kb_faq_document_id", table_name="kb_faq")
    op.drop_table("kb_faq")
    op.drop_index("ix_kb_passages_document_id", table_name="kb_passages")
    op.drop_table("kb_passages")
    op.drop_index("ix_kb_documents_title_key", table_name="kb_documents")
    op.drop_table("kb_documents")
