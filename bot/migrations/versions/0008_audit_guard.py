"""Audit guard: TRUNCATE audit_log is refused; lookups by one person are counted one at a time.

The row trigger of 0001_core refuses UPDATE and DELETE, but TRUNCATE fires no row
triggers on PostgreSQL, so a statement-level trigger refuses it too (SQLite has no
TRUNCATE; its ``DELETE FROM audit_log`` already meets the row trigger). ``lookup_gate``
holds one row per person so the lookup rate limit can count and record atomically.

Revision ID: 0008_audit_guard
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UTCDateTime

revision = "0008_audit_guard"
down_revision = "0007_login"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lookup_gate",
        sa.Column("actor", sa.String(191), nullable=False),
        sa.Column("last_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("actor", name="pk_lookup_gate"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
    op.drop_table("lookup_gate")
