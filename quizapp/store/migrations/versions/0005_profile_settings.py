"""Reserved: per-profile practice settings: new per day, focus topics, theme (issue 9).

The integrator numbered the migrations of work done in parallel up front; this one is filled in
by that work. Until then it changes nothing.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
