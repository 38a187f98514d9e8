"""Core tables: staff and identities, processed messages, conversation state, audit log.

Revision ID: 0001_core
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UTCDateTime

revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("unit", sa.String(64), nullable=True),
        sa.Column("unit_scope", sa.String(64), nullable=True),
        sa.Column("cadre_id", sa.String(32), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_staff"),
        sa.UniqueConstraint("user_id", name="uq_staff_user_id"),
    )
    op.create_table(
        "identities",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("platform_user_id", sa.String(128), nullable=False),
        sa.Column("staff_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_identities"),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], ondelete="CASCADE", name="fk_identities_staff_id_staff"),
        sa.UniqueConstraint("channel", "platform_user_id", name="uq_identities_channel"),
    )
    op.create_table(
        "processed_messages",
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("message_id", sa.String(191), nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("channel", "message_id", name="pk_processed_messages"),
    )
    op.create_index("ix_processed_messages_received_at", "processed_messages", ["received_at"])
    op.create_table(
        "conversation_state",
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("chat_id", sa.String(191), nullable=False),
        sa.Column("user_id", sa.String(191), nullable=False),
        sa.Column("handler", sa.String(128), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("channel", "chat_id", "user_id", name="pk_conversation_state"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(191), nullable=False),
        sa.Column("actor_role", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("chat_id", sa.String(191), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("subject", sa.String(64), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_action", "audit_log", ["action"])
    op.create_index("ix_audit_log_subject", "audit_log", ["subject"])
    op.create_table(
        "local_inbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(191), nullable=False),
        sa.Column("chat_id", sa.String(191), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("delivered_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_local_inbox"),
    )
    op.create_index("ix_local_inbox_user_id", "local_inbox", ["user_id"])
    _protect_audit_log()


def _protect_audit_log() -> None:
    """The audit trail is append-only at the database level, not just by convention."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    for table in ("local_inbox", "audit_log", "conversation_state", "processed_messages", "identities", "staff"):
        op.drop_table(table)
