"""The waitlist, and its offers in the notification log beside the bookings' messages.

SQLite cannot make a column nullable in place; notification_log has no triggers and nothing refers to it, so
the batch copy SQLite needs loses nothing.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

from database.types import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "waitlist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("specialist_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_waitlist_user_id_users", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name="fk_waitlist_service_id_services", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["specialist_id"], ["specialists.id"], name="fk_waitlist_specialist_id_specialists", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_waitlist"),
    )
    op.create_index("ix_waitlist_day", "waitlist", ["day"])
    op.create_index(
        "uq_waitlist_entry",
        "waitlist",
        ["user_id", "service_id", sa.text("coalesce(specialist_id, 0)"), "day"],
        unique=True,
    )
    with _batch_of_notification_log() as batch:
        batch.alter_column("booking_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("waitlist_entry_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_notification_log_waitlist_entry_id_waitlist",
            "waitlist",
            ["waitlist_entry_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_unique_constraint("uq_notification_log_waitlist_entry_kind", ["waitlist_entry_id", "kind"])
        batch.create_check_constraint("one_subject", "(booking_id IS NULL) <> (waitlist_entry_id IS NULL)")


def downgrade() -> None:
    op.execute("DELETE FROM notification_log WHERE booking_id IS NULL")
    with _batch_of_notification_log() as batch:
        batch.drop_constraint("one_subject", type_="check")
        batch.drop_constraint("uq_notification_log_waitlist_entry_kind", type_="unique")
        batch.drop_constraint("fk_notification_log_waitlist_entry_id_waitlist", type_="foreignkey")
        batch.drop_column("waitlist_entry_id")
        batch.alter_column("booking_id", existing_type=sa.Integer(), nullable=False)
    op.drop_index("uq_waitlist_entry", table_name="waitlist")
    op.drop_index("ix_waitlist_day", table_name="waitlist")
    op.drop_table("waitlist")


@contextmanager
def _batch_of_notification_log() -> Iterator[BatchOperations]:
    # The batch copy reflects the tables notification_log refers to; SQLAlchemy cannot reflect waitlist's index
    # on an expression, which the copy does not need.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        with op.batch_alter_table("notification_log") as batch:
            yield batch
