"""Durable inbox: the dedupe claim row carries the message and its answer's progress.

Revision ID: 0005_durable_inbox
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UTCDateTime

revision = "0005_durable_inbox"
down_revision = "0004_scheduling"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("message_id", sa.String(191), nullable=False),
        sa.Column("conversation", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("available_at", UTCDateTime, nullable=False),
        sa.Column("lease_until", UTCDateTime, nullable=True),
        sa.Column("replies", sa.Text, nullable=True),
        sa.Column("replies_sent", sa.Integer, nullable=False),
        sa.Column("finished_at", UTCDateTime, nullable=True),
        sa.Column("error", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_inbound_messages"),
        sa.UniqueConstraint("channel", "message_id", name="uq_inbound_messages_channel"),
    )
    op.create_index("ix_inbound_messages_received_at", "inbound_messages", ["received_at"])
    op.create_index("ix_inbound_messages_state_id", "inbound_messages", ["state", "id"])
    op.create_index("ix_inbound_messages_conversation_state", "inbound_messages", ["conversation", "state"])
    # Ids already answered keep deduping the platforms' retries.
    op.execute(
        "INSERT INTO inbound_messages (channel, message_id, conversation, state, payload, received_at, attempts,"
        " available_at, replies_sent, error)"
        " SELECT channel, message_id, '', 'answered', '', received_at, 0, received_at, 0, ''"
        " FROM processed_messages"
    )
    op.drop_index("ix_processed_messages_received_at", table_name="processed_messages")
    op.drop_table("processed_messages")


def downgrade() -> None:
    op.create_table(
        "processed_messages",
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("message_id", sa.String(191), nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("channel", "message_id", name="pk_processed_messages"),
    )
    op.create_index("ix_processed_messages_received_at", "processed_messages", ["received_at"])
    op.execute(
        "INSERT INTO processed_messages (channel, message_id, received_at)"
        " SELECT channel, message_id, received_at FROM inbound_messages"
    )
    op.drop_table("inbound_messages")
