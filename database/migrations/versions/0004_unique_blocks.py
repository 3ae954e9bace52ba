"""One blocked period per exact period: repeating /block finds the block it made instead of adding a twin.

Twins that earlier versions made are merged first (the oldest is kept; the reasons of the others are lost,
they were the same command repeated).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        sa.text(
            "DELETE FROM blocked_periods WHERE id NOT IN "
            "(SELECT MIN(id) FROM blocked_periods GROUP BY starts_at, ends_at)"
        )
    )
    op.create_index("uq_blocked_periods_period", "blocked_periods", ["starts_at", "ends_at"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_blocked_periods_period", table_name="blocked_periods")
