"""Policy Q&A follow-ups (the last answered question per person and chat, with an
expiry) and binding feedback (an administrator's 不对 withdraws a clause for a question).

Revision ID: 0010_chat_topics
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UTCDateTime

revision = "0010_chat_topics"
down_revision = "0009_scheduler_lease"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_topics",
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("chat_id", sa.String(191), nullable=False),
        sa.Column("user_id", sa.String(191), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("channel", "chat_id", "user_id", name="pk_chat_topics"),
    )
    op.create_index("ix_chat_topics_expires_at", "chat_topics", ["expires_at"])
    op.add_column("kb_feedback", sa.Column("binding", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("kb_feedback") as batch:
        batch.drop_column("binding")
    op.drop_index("ix_chat_topics_expires_at", table_name="chat_topics")
    op.drop_table("chat_topics")
