"""Callback signatures already used (DingTalk's sign covers only the timestamp).

Revision ID: 0006_callback_signatures
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UTCDateTime

revision = "0006_callback_signatures"
down_revision = "0005_durable_inbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callback_signatures",
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("message_id", sa.String(191), nullable=False),
        sa.Column("body_digest", sa.String(64), nullable=False),
        sa.Column("signed_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("first_refused_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("channel", "signature", name="pk_callback_signatures"),
    )
    op.create_index("ix_callback_signatures_expires_at", "callback_signatures", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_callback_signatures_expires_at", table_name="callback_signatures")
    op.drop_table("callback_signatures")
