"""Specialists, their weeks and dates, buffers after services; no overlap per specialist instead of business-wide.

An existing database gets one specialist who performs every service and holds every booking; their week is
written from WORK_* at the next startup (`hours_set` is false until then). Bookings keep their ids, so the
reminder jobs already stored (which name only a booking id) still fire, once.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from database.types import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OVERLAP = "booking_overlap"
FIRST_SPECIALIST = "Specialist"

INCOMPLETE = "booking_incomplete"
# SQLite adds a column with a foreign key only as nullable: the first triggers keep `specialist_id` and
# `occupied_until` filled (as NOT NULL and a CHECK do on PostgreSQL), the others refuse overlaps per specialist.
_SQLITE_COMPLETE = f"""
    WHEN NEW.specialist_id IS NULL OR NEW.occupied_until IS NULL OR NEW.occupied_until < NEW.ends_at
    BEGIN SELECT RAISE(ABORT, '{INCOMPLETE}'); END
"""
_SQLITE_NO_OVERLAP = f"""
    WHEN NEW.status = 'active' AND EXISTS (
        SELECT 1 FROM bookings
        WHERE id != NEW.id AND status = 'active' AND specialist_id = NEW.specialist_id
          AND starts_at < NEW.occupied_until AND occupied_until > NEW.starts_at
    )
    BEGIN SELECT RAISE(ABORT, '{OVERLAP}'); END
"""
_UPDATED = "starts_at, ends_at, occupied_until, status, specialist_id"
SQLITE_TRIGGERS = (
    f"CREATE TRIGGER bookings_complete_insert BEFORE INSERT ON bookings {_SQLITE_COMPLETE}",
    f"CREATE TRIGGER bookings_complete_update BEFORE UPDATE OF {_UPDATED} ON bookings {_SQLITE_COMPLETE}",
    f"CREATE TRIGGER bookings_no_overlap_insert BEFORE INSERT ON bookings {_SQLITE_NO_OVERLAP}",
    f"CREATE TRIGGER bookings_no_overlap_update BEFORE UPDATE OF {_UPDATED} ON bookings {_SQLITE_NO_OVERLAP}",
)
OLD_SQLITE_TRIGGERS = (
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
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "specialists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("all_services", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("telegram_id", sa.BigInteger(), nullable=True),
        sa.Column("hours_set", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("may_edit_days_off", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_specialists"),
        sa.UniqueConstraint("telegram_id", name="uq_specialists_telegram_id"),
    )
    op.create_table(
        "specialist_services",
        sa.Column("specialist_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["specialist_id"],
            ["specialists.id"],
            name="fk_specialist_services_specialist_id_specialists",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name="fk_specialist_services_service_id_services", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("specialist_id", "service_id", name="pk_specialist_services"),
    )
    op.create_table(
        "weekly_shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("specialist_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        sa.CheckConstraint("start_minute >= 0 AND start_minute < 1440", name="start_in_day"),
        sa.CheckConstraint("end_minute > start_minute AND end_minute <= start_minute + 1440", name="end_after_start"),
        sa.ForeignKeyConstraint(
            ["specialist_id"], ["specialists.id"], name="fk_weekly_shifts_specialist_id_specialists", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_weekly_shifts"),
    )
    op.create_index("ix_weekly_shifts_specialist_id", "weekly_shifts", ["specialist_id"])
    op.create_table(
        "date_shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("specialist_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=True),
        sa.Column("end_minute", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "(start_minute IS NULL AND end_minute IS NULL) OR "
            "(start_minute >= 0 AND start_minute < 1440 AND end_minute > start_minute "
            "AND end_minute <= start_minute + 1440)",
            name="day_off_or_shift",
        ),
        sa.ForeignKeyConstraint(
            ["specialist_id"], ["specialists.id"], name="fk_date_shifts_specialist_id_specialists", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_date_shifts"),
    )
    op.create_index("ix_date_shifts_specialist_id_day", "date_shifts", ["specialist_id", "day"])
    op.create_table(
        "quiet_admins",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_quiet_admins"),
    )
    op.add_column("services", sa.Column("buffer_minutes", sa.Integer(), nullable=False, server_default="0"))
    if postgres:
        op.create_check_constraint("buffer_not_negative", "services", "buffer_minutes >= 0")

    first = (
        op.get_bind()
        .execute(
            sa.text(
                "INSERT INTO specialists (name, position, is_active, all_services, hours_set, may_edit_days_off, "
                "created_at) VALUES (:name, 0, :yes, :yes, :no, :no, CURRENT_TIMESTAMP) RETURNING id"
            ),
            {"name": FIRST_SPECIALIST, "yes": True, "no": False},
        )
        .scalar_one()
    )

    if postgres:
        op.execute(f"ALTER TABLE bookings DROP CONSTRAINT ex_{OVERLAP}")
        op.add_column("bookings", sa.Column("specialist_id", sa.Integer(), nullable=True))
        op.add_column("bookings", sa.Column("occupied_until", UTCDateTime(), nullable=True))
        op.execute(sa.text("UPDATE bookings SET specialist_id = :id, occupied_until = ends_at").bindparams(id=first))
        op.alter_column("bookings", "specialist_id", nullable=False)
        op.alter_column("bookings", "occupied_until", nullable=False)
        op.create_foreign_key(
            "fk_bookings_specialist_id_specialists", "bookings", "specialists", ["specialist_id"], ["id"]
        )
        op.create_check_constraint("occupied_after_end", "bookings", "occupied_until >= ends_at")
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            f"ALTER TABLE bookings ADD CONSTRAINT ex_{OVERLAP} EXCLUDE USING gist "
            "(specialist_id WITH =, tstzrange(starts_at, occupied_until, '[)') WITH &&) WHERE (status = 'active')"
        )
        op.add_column(
            "blocked_periods",
            sa.Column(
                "specialist_id",
                sa.Integer(),
                sa.ForeignKey(
                    "specialists.id", name="fk_blocked_periods_specialist_id_specialists", ondelete="CASCADE"
                ),
                nullable=True,
            ),
        )
    else:
        op.execute("DROP TRIGGER bookings_no_overlap_insert")
        op.execute("DROP TRIGGER bookings_no_overlap_update")
        op.execute("ALTER TABLE bookings ADD COLUMN specialist_id INTEGER REFERENCES specialists (id)")
        op.execute("ALTER TABLE bookings ADD COLUMN occupied_until DATETIME")
        op.execute(sa.text("UPDATE bookings SET specialist_id = :id, occupied_until = ends_at").bindparams(id=first))
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
        op.execute(
            "ALTER TABLE blocked_periods ADD COLUMN specialist_id INTEGER REFERENCES specialists (id) ON DELETE CASCADE"
        )
    op.create_index("ix_bookings_specialist_id_starts_at", "bookings", ["specialist_id", "starts_at"])
    op.drop_index("uq_blocked_periods_period", table_name="blocked_periods")
    op.create_index(
        "uq_blocked_periods_period",
        "blocked_periods",
        [sa.text("coalesce(specialist_id, 0)"), "starts_at", "ends_at"],
        unique=True,
    )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.drop_index("uq_blocked_periods_period", table_name="blocked_periods")
    op.execute("DELETE FROM blocked_periods WHERE specialist_id IS NOT NULL")
    op.drop_index("ix_bookings_specialist_id_starts_at", table_name="bookings")
    if postgres:
        op.execute(f"ALTER TABLE bookings DROP CONSTRAINT ex_{OVERLAP}")
        op.drop_constraint("occupied_after_end", "bookings", type_="check")
        op.drop_constraint("fk_bookings_specialist_id_specialists", "bookings", type_="foreignkey")
        op.drop_column("bookings", "occupied_until")
        op.drop_column("bookings", "specialist_id")
        op.drop_column("blocked_periods", "specialist_id")
        op.drop_constraint("buffer_not_negative", "services", type_="check")
        op.execute(
            f"ALTER TABLE bookings ADD CONSTRAINT ex_{OVERLAP} EXCLUDE USING gist "
            "(tstzrange(starts_at, ends_at, '[)') WITH &&) WHERE (status = 'active')"
        )
    else:
        for trigger in ("complete_insert", "complete_update", "no_overlap_insert", "no_overlap_update"):
            op.execute(f"DROP TRIGGER bookings_{trigger}")
        op.execute("ALTER TABLE bookings DROP COLUMN occupied_until")
        op.execute("ALTER TABLE bookings DROP COLUMN specialist_id")
        op.execute("ALTER TABLE blocked_periods DROP COLUMN specialist_id")
        for statement in OLD_SQLITE_TRIGGERS:
            op.execute(statement)
    op.drop_column("services", "buffer_minutes")
    op.create_index("uq_blocked_periods_period", "blocked_periods", ["starts_at", "ends_at"], unique=True)
    for table in ("quiet_admins", "date_shifts", "weekly_shifts", "specialist_services", "specialists"):
        op.drop_table(table)
