"""Attendance confirmed by the client (from a reminder's ✅).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from database.types import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("bookings", sa.Column("confirmed_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    # SQLite drops a column in place (3.35+) as long as nothing refers to it: no batch copy of bookings,
    # which would lose its triggers and, through ON DELETE CASCADE, the rows that refer to it.
    op.execute("ALTER TABLE bookings DROP COLUMN confirmed_at")
