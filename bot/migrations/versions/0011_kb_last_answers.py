"""The last policy answer per conversation, in the database: a "不对" refers to it from
any instance and after a restart (it was kept in one process's memory).

Revision ID: 0011_kb_last_answers
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_kb_last_answers"
down_revision = "0010_chat_topics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_last_answers",
        sa.Column("conversation", sa.String(400), nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("conversation", name="pk_kb_last_answers"),
    )


def downgrade() -> None:
    op.drop_table("kb_last_answers")
