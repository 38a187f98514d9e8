"""Cadre records: units, cadres, training records, reserve records and their development measures.

Revision ID: 0003_cadres
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.base import UTCDateTime

revision = "0003_cadres"
down_revision = "0002_knowledge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("parent_code", sa.String(64), nullable=True),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_units"),
    )
    op.create_index("ix_units_parent_code", "units", ["parent_code"])
    op.create_table(
        "cadres",
        sa.Column("cadre_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("unit_code", sa.String(64), nullable=False),
        sa.Column("post", sa.String(128), nullable=False),
        sa.Column("rank", sa.String(32), nullable=False),
        sa.Column("gender", sa.String(8), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=True),
        sa.Column("id_card", sa.String(18), nullable=False),
        sa.Column("education", sa.String(64), nullable=False),
        sa.Column("party_date", sa.Date, nullable=True),
        sa.Column("work_start_date", sa.Date, nullable=True),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("office_phone", sa.String(32), nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("cadre_id", name="pk_cadres"),
    )
    op.create_index("ix_cadres_name", "cadres", ["name"])
    op.create_index("ix_cadres_unit_code", "cadres", ["unit_code"])
    op.create_table(
        "training_records",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("cadre_id", sa.String(32), nullable=False),
        sa.Column("course", sa.String(200), nullable=False),
        sa.Column("organizer", sa.String(128), nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date, nullable=True),
        sa.Column("hours", sa.Float, nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("certificate", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_training_records"),
        sa.ForeignKeyConstraint(
            ["cadre_id"], ["cadres.cadre_id"], ondelete="CASCADE", name="fk_training_records_cadre_id_cadres"
        ),
        sa.UniqueConstraint("cadre_id", "course", "start_date", name="uq_training_records_cadre_id"),
    )
    op.create_index("ix_training_records_cadre_id", "training_records", ["cadre_id"])
    op.create_table(
        "reserve_records",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("cadre_id", sa.String(32), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("entered_on", sa.Date, nullable=False),
        sa.Column("recommended_by", sa.String(64), nullable=False),
        sa.Column("inspection_status", sa.String(32), nullable=False),
        sa.Column("inspection_result", sa.String(200), nullable=False),
        sa.Column("exit_on", sa.Date, nullable=True),
        sa.Column("exit_reason", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reserve_records"),
        sa.ForeignKeyConstraint(
            ["cadre_id"], ["cadres.cadre_id"], ondelete="CASCADE", name="fk_reserve_records_cadre_id_cadres"
        ),
        sa.UniqueConstraint("cadre_id", "level", name="uq_reserve_records_cadre_id"),
    )
    op.create_index("ix_reserve_records_cadre_id", "reserve_records", ["cadre_id"])
    op.create_table(
        "reserve_measures",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("reserve_id", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("start_date", sa.Date, nullable=True),
        sa.Column("end_date", sa.Date, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_reserve_measures"),
        sa.ForeignKeyConstraint(
            ["reserve_id"],
            ["reserve_records.id"],
            ondelete="CASCADE",
            name="fk_reserve_measures_reserve_id_reserve_records",
        ),
    )
    op.create_index("ix_reserve_measures_reserve_id", "reserve_measures", ["reserve_id"])
    # Rate limiting counts one person's recent lookups in the audit log.
    op.create_index("ix_audit_log_actor_at", "audit_log", ["actor", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_actor_at", table_name="audit_log")
    for table in ("reserve_measures", "reserve_records", "training_records", "cadres", "units"):
        op.drop_table(table)
