"""Scheduling: schedules, their change log and fires, the outbox, notice receipts.

Revision ID: 0004_scheduling
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UTCDateTime

revision = "0004_scheduling"
down_revision = "0003_cadres"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("rule", sa.Text, nullable=False),
        sa.Column("targets", sa.Text, nullable=False),
        sa.Column("template", sa.String(32), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("urgent", sa.Boolean, nullable=False),
        sa.Column("receipt", sa.Boolean, nullable=False),
        sa.Column("next_fire_at", UTCDateTime, nullable=True),
        sa.Column("next_stage", sa.String(32), nullable=False),
        sa.Column("last_fired_at", UTCDateTime, nullable=True),
        sa.Column("created_by", sa.String(191), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schedules"),
    )
    op.create_index("ix_schedules_status_next_fire_at", "schedules", ["status", "next_fire_at"])
    op.create_table(
        "schedule_changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("schedule_id", sa.Integer, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(191), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schedule_changes"),
        sa.ForeignKeyConstraint(
            ["schedule_id"], ["schedules.id"], ondelete="CASCADE", name="fk_schedule_changes_schedule_id_schedules"
        ),
    )
    op.create_index("ix_schedule_changes_schedule_id", "schedule_changes", ["schedule_id"])
    op.create_table(
        "schedule_fires",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("schedule_id", sa.Integer, nullable=False),
        sa.Column("fire_at", UTCDateTime, nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("recipients", sa.Integer, nullable=False),
        sa.Column("handled_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schedule_fires"),
        sa.ForeignKeyConstraint(
            ["schedule_id"], ["schedules.id"], ondelete="CASCADE", name="fk_schedule_fires_schedule_id_schedules"
        ),
        sa.UniqueConstraint("schedule_id", "fire_at", name="uq_schedule_fires_schedule_id"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("idempotency_key", sa.String(191), nullable=False),
        sa.Column("schedule_id", sa.Integer, nullable=True),
        sa.Column("fire_at", UTCDateTime, nullable=False),
        sa.Column("recipient", sa.String(191), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("chat_id", sa.String(191), nullable=False),
        sa.Column("user_id", sa.String(191), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("urgent", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime, nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=False),
        sa.Column("claimed_until", UTCDateTime, nullable=True),
        sa.Column("last_error", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("sent_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("idempotency_key", name="uq_outbox_idempotency_key"),
    )
    op.create_index("ix_outbox_schedule_id", "outbox", ["schedule_id"])
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])
    op.create_table(
        "receipts",
        sa.Column("schedule_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.String(191), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("notified_at", UTCDateTime, nullable=True),
        sa.Column("confirmed_at", UTCDateTime, nullable=True),
        sa.Column("confirmed_via", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("schedule_id", "user_id", name="pk_receipts"),
        sa.ForeignKeyConstraint(
            ["schedule_id"], ["schedules.id"], ondelete="CASCADE", name="fk_receipts_schedule_id_schedules"
        ),
    )
    op.create_index("ix_receipts_confirmed_at", "receipts", ["confirmed_at"])


def downgrade() -> None:
    for table in ("receipts", "outbox", "schedule_fires", "schedule_changes", "schedules"):
        op.drop_table(table)
