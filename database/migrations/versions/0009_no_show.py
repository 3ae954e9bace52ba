"""Visit outcomes: status 'no_show' beside 'completed', and when an admin last forgave a client's no-shows.

SQLite cannot alter a CHECK constraint; rebuilding `bookings` would drop its triggers and, through ON DELETE
CASCADE, the rows referring to it. A constraint that only admits more values changes nothing stored, which
SQLite documents as the case for editing the table's schema text in place (ALTER TABLE, "making other kinds
of table schema changes").

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

from database.types import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = "status IN ('active', 'cancelled', 'completed')"
AFTER = "status IN ('active', 'cancelled', 'completed', 'no_show')"


def upgrade() -> None:
    _check(BEFORE, AFTER)
    op.add_column("users", sa.Column("no_shows_forgiven_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE users DROP COLUMN no_shows_forgiven_at")  # in place on SQLite too (see 0007)
    op.execute("UPDATE bookings SET status = 'completed' WHERE status = 'no_show'")
    _check(AFTER, BEFORE)


def _check(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE bookings DROP CONSTRAINT ck_bookings_status")
        op.execute(f"ALTER TABLE bookings ADD CONSTRAINT ck_bookings_status CHECK ({new})")
        return
    version = bind.execute(text("PRAGMA schema_version")).scalar_one()
    bind.execute(text("PRAGMA writable_schema = ON"))
    changed = bind.execute(
        text("UPDATE sqlite_master SET sql = replace(sql, :old, :new) WHERE type = 'table' AND name = 'bookings'"),
        {"old": old, "new": new},
    ).rowcount
    bind.execute(text(f"PRAGMA schema_version = {version + 1}"))
    bind.execute(text("PRAGMA writable_schema = OFF"))
    if changed != 1:
        raise RuntimeError("bookings' status constraint is not as expected")
