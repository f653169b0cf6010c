"""Practice sessions (attempts.session_id), a per-user daily new-question limit, and a flag for
questions whose text changed after progress was recorded on them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import sqlalchemy as sa
from alembic import op

from quizapp.store.types import UTCDateTime

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rebuild_on_sqlite() -> Literal["auto", "always"]:
    # PostgreSQL alters in place; only SQLite needs the table rebuilt.
    return "always" if op.get_context().dialect.name == "sqlite" else "auto"


def upgrade() -> None:
    op.create_table(
        "practice_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("topic", sa.String(length=128), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("correct", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_practice_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_sessions")),
    )
    op.create_index(
        "ix_practice_sessions_user_started",
        "practice_sessions",
        ["user_id", "started_at"],
        unique=False,
    )
    # A CHECK constraint needs the table rebuilt on SQLite. `users` is the parent of every other
    # table: this is exactly the migration that deletes all progress if foreign keys were left
    # on while batch mode drops the old table (env.py turns them off).
    with op.batch_alter_table("users", recreate=_rebuild_on_sqlite()) as batch_op:
        batch_op.add_column(
            sa.Column("new_per_day", sa.Integer(), server_default=sa.text("20"), nullable=False)
        )
        batch_op.create_check_constraint("new_per_day_not_negative", "new_per_day >= 0")
    with op.batch_alter_table("questions") as batch_op:
        batch_op.add_column(
            sa.Column("flagged_changed", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("changed_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("attempts") as batch_op:
        batch_op.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_attempts_session_id_practice_sessions"),
            "practice_sessions",
            ["session_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("attempts") as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_attempts_session_id_practice_sessions"), type_="foreignkey"
        )
        batch_op.drop_column("session_id")
    with op.batch_alter_table("questions") as batch_op:
        batch_op.drop_column("changed_at")
        batch_op.drop_column("flagged_changed")
    with op.batch_alter_table("users", recreate=_rebuild_on_sqlite()) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_users_new_per_day_not_negative"), type_="check")
        batch_op.drop_column("new_per_day")
    op.drop_index("ix_practice_sessions_user_started", table_name="practice_sessions")
    op.drop_table("practice_sessions")
