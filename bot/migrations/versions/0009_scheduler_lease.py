"""Scheduler lease and fencing; fires keyed by occurrence; the calendar a schedule was planned with.

- ``scheduler_lease``: the leader holds a row it must renew; a holder that stops renewing
  loses it after ``lease_seconds``, and each new holder raises ``epoch`` (the fencing token).
- ``outbox.claim_epoch``: the epoch under which a row was claimed; the sent-mark checks it.
- ``schedule_fires.occurrence_keys``: which occurrences and rungs a fire sent (several when a
  shift merged them), so a config change that moves one cannot make it fire twice.
- ``schedules.plan_key``: the calendar/quiet-hours/zone fingerprint ``next_fire_at`` was
  computed with; a mismatch at start-up means the stored fire is recomputed.

Revision ID: 0009_scheduler_lease
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UTCDateTime

revision = "0009_scheduler_lease"
down_revision = "0008_audit_guard"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduler_lease",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("epoch", sa.Integer, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=True),
        sa.Column("acquired_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_scheduler_lease"),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claim_epoch", sa.Integer, nullable=False, server_default="0"))
    with op.batch_alter_table("schedule_fires") as batch:
        batch.add_column(sa.Column("occurrence_keys", sa.String(191), nullable=True))
    with op.batch_alter_table("schedules") as batch:
        batch.add_column(sa.Column("plan_key", sa.String(32), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("schedules") as batch:
        batch.drop_column("plan_key")
    with op.batch_alter_table("schedule_fires") as batch:
        batch.drop_column("occurrence_keys")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claim_epoch")
    op.drop_table("scheduler_lease")
