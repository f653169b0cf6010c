"""The misconception a wrong answer matched, on attempts (issue 10).

Two nullable columns (old attempts have none) and a partial index holding only the diagnosed
answers, which the stats' "recurring misconceptions" read.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_attempts_user_misconception"
DIAGNOSED = sa.text("misconception IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("attempts") as batch:
        batch.add_column(sa.Column("misconception", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("misconception_source", sa.String(length=16), nullable=True))
    op.create_index(
        INDEX,
        "attempts",
        ["user_id", "misconception", "misconception_source", "answered_at", "question_id"],
        sqlite_where=DIAGNOSED,
        postgresql_where=DIAGNOSED,
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="attempts")
    with op.batch_alter_table("attempts") as batch:
        batch.drop_column("misconception_source")
        batch.drop_column("misconception")
