"""The client card: admins' notes on a client, and self-booking closed for a client; when a person recorded
whether a booking's client came.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from database.types import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("booking_blocked_at", UTCDateTime(), nullable=True))
    op.add_column("bookings", sa.Column("visit_recorded_at", UTCDateTime(), nullable=True))
    op.create_table(
        "client_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_client_notes_user_id_users", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_client_notes"),
    )
    op.create_index("ix_client_notes_user_id", "client_notes", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_client_notes_user_id", table_name="client_notes")
    op.drop_table("client_notes")
    op.execute("ALTER TABLE bookings DROP COLUMN visit_recorded_at")  # in place on SQLite too (see 0007)
    op.execute("ALTER TABLE users DROP COLUMN booking_blocked_at")
