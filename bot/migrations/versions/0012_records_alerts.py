"""Reminders from the records (学时预警, 后备干部复核): when a rank or a 考察 stage began, when
records were last imported, and who muted their personal warnings.

Revision ID: 0012_records_alerts
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UTCDateTime

revision = "0012_records_alerts"
down_revision = "0011_kb_last_answers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cadres") as batch:
        batch.add_column(sa.Column("previous_rank", sa.String(32), nullable=False, server_default=""))
        batch.add_column(sa.Column("rank_since", sa.Date, nullable=True))
    with op.batch_alter_table("reserve_records") as batch:
        batch.add_column(sa.Column("stage_since", sa.Date, nullable=True))
    op.create_table(
        "record_imports",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("kinds", sa.String(64), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_record_imports"),
    )
    op.create_index("ix_record_imports_at", "record_imports", ["at"])
    op.create_table(
        "alert_mutes",
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("muted_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "kind", name="pk_alert_mutes"),
    )


def downgrade() -> None:
    op.drop_table("alert_mutes")
    op.drop_index("ix_record_imports_at", table_name="record_imports")
    op.drop_table("record_imports")
    with op.batch_alter_table("reserve_records") as batch:
        batch.drop_column("stage_since")
    with op.batch_alter_table("cadres") as batch:
        batch.drop_column("rank_since")
        batch.drop_column("previous_rank")
