"""Daily totals per (user, study day, topic), filled from the attempt log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "daily_totals",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("topic", sa.String(length=128), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("correct", sa.Integer(), nullable=False),
        sa.Column("latency_s", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_daily_totals_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "day", "topic", name=op.f("pk_daily_totals")),
    )
    # A data migration: the totals of every attempt already recorded (reads the covering index).
    op.execute(
        "INSERT INTO daily_totals (user_id, day, topic, attempts, correct, latency_s) "
        "SELECT user_id, answered_day, topic, count(*), sum(CAST(correct AS INTEGER)), "
        "sum(latency_s) FROM attempts GROUP BY user_id, answered_day, topic"
    )


def downgrade() -> None:
    op.drop_table("daily_totals")
