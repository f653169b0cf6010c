"""Per-profile practice settings: focus topics and the TUI theme (issue 9).

`users.new_per_day` (revision 0002) is the third setting. Both new columns are nullable and have
no default: NULL means "no focus" and "the app's default theme", so old rows need no data step.
Adding a nullable column is an in-place ALTER on SQLite and PostgreSQL alike (no table rebuild).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("focus_topics", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("theme", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("theme")
        batch_op.drop_column("focus_topics")
