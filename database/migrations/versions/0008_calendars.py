"""Calendars: a booking's sequence (raised by every move, for its .ics file) and subscription feeds.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from database.types import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("bookings", sa.Column("sequence", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(64), nullable=False),
        sa.Column(
            "specialist_id",
            sa.Integer(),
            sa.ForeignKey("specialists.id", ondelete="CASCADE", name="fk_calendar_feeds_specialist_id_specialists"),
            nullable=True,
        ),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_calendar_feeds"),
        sa.UniqueConstraint("secret", name="uq_calendar_feeds_secret"),
    )


def downgrade() -> None:
    op.drop_table("calendar_feeds")
    # In place on SQLite too (see 0007): a batch copy of bookings would lose its triggers.
    op.execute("ALTER TABLE bookings DROP COLUMN sequence")
