"""Initial schema: users, services, bookings, blocked periods, notification log, feedback.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from database.types import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OVERLAP = "booking_overlap"

SQLITE_OVERLAP_TRIGGERS = (
    f"""
    CREATE TRIGGER bookings_no_overlap_insert BEFORE INSERT ON bookings
    WHEN NEW.status = 'active' AND EXISTS (
        SELECT 1 FROM bookings
        WHERE status = 'active' AND starts_at < NEW.ends_at AND ends_at > NEW.starts_at
    )
    BEGIN SELECT RAISE(ABORT, '{OVERLAP}'); END
    """,
    f"""
    CREATE TRIGGER bookings_no_overlap_update BEFORE UPDATE OF starts_at, ends_at, status ON bookings
    WHEN NEW.status = 'active' AND EXISTS (
        SELECT 1 FROM bookings
        WHERE id != NEW.id AND status = 'active'
          AND starts_at < NEW.ends_at AND ends_at > NEW.starts_at
    )
    BEGIN SELECT RAISE(ABORT, '{OVERLAP}'); END
    """,
)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("first_name", sa.String(256), nullable=False),
        sa.Column("last_name", sa.String(256), nullable=True),
        sa.Column("username", sa.String(64), nullable=True),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("blocked_bot", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
    )
    op.create_table(
        "services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("duration_minutes > 0", name="positive_duration"),
        sa.PrimaryKeyConstraint("id", name="pk_services"),
    )
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("booked_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("cancelled_at", UTCDateTime(), nullable=True),
        sa.Column("cancelled_by", sa.String(16), nullable=True),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("status IN ('active', 'cancelled', 'completed')", name="status"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_bookings_user_id_users", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"], name="fk_bookings_service_id_services"),
        sa.PrimaryKeyConstraint("id", name="pk_bookings"),
    )
    op.create_index("ix_bookings_status_starts_at", "bookings", ["status", "starts_at"])
    op.create_index("ix_bookings_user_id_status", "bookings", ["user_id", "status"])
    op.create_table(
        "blocked_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.PrimaryKeyConstraint("id", name="pk_blocked_periods"),
    )
    op.create_index("ix_blocked_periods_starts_at", "blocked_periods", ["starts_at"])
    op.create_table(
        "notification_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
        sa.Column("claim_token", sa.String(32), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name="fk_notification_log_booking_id_bookings",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_notification_log"),
        sa.UniqueConstraint("booking_id", "kind", name="uq_notification_log_booking_kind"),
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name="fk_feedback_booking_id_bookings",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_feedback"),
        sa.UniqueConstraint("booking_id", name="uq_feedback_booking_id"),
    )

    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"ALTER TABLE bookings ADD CONSTRAINT ex_{OVERLAP} EXCLUDE USING gist "
            "(tstzrange(starts_at, ends_at, '[)') WITH &&) WHERE (status = 'active')"
        )
    else:
        for statement in SQLITE_OVERLAP_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS bookings_no_overlap_insert")
        op.execute("DROP TRIGGER IF EXISTS bookings_no_overlap_update")
    for table in ("feedback", "notification_log", "blocked_periods", "bookings", "services", "users"):
        op.drop_table(table)
