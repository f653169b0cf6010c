"""Readiness (issue 13): an interview date and a target retention per profile, and the FSRS
parameters fitted to the profile's own review log by `quizapp optimize`.

Answer durations need no new column: every attempt already stores `latency_s` (seconds), which is
what the fsrs optimizer reads as a review's duration.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import sqlalchemy as sa
from alembic import op

from quizapp.store.types import UTCDateTime

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rebuild_on_sqlite() -> Literal["auto", "always"]:
    # A CHECK constraint needs the table rebuilt on SQLite; PostgreSQL alters in place.
    return "always" if op.get_context().dialect.name == "sqlite" else "auto"


def upgrade() -> None:
    with op.batch_alter_table("users", recreate=_rebuild_on_sqlite()) as batch_op:
        batch_op.add_column(sa.Column("interview_date", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("target_retention", sa.Float(), server_default=sa.text("0.9"), nullable=False)
        )
        batch_op.add_column(sa.Column("fsrs_parameters", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("fsrs_fitted_at", UTCDateTime(), nullable=True))
        batch_op.create_check_constraint(
            "target_retention_in_range", "target_retention > 0 AND target_retention < 1"
        )


def downgrade() -> None:
    with op.batch_alter_table("users", recreate=_rebuild_on_sqlite()) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_users_target_retention_in_range"), type_="check")
        batch_op.drop_column("fsrs_fitted_at")
        batch_op.drop_column("fsrs_parameters")
        batch_op.drop_column("target_retention")
        batch_op.drop_column("interview_date")
