"""The catalog's revision: raised by the database on every change of what the booking steps read about the
business (services, specialists, who performs what, weeks, dates, blocks), whoever makes it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CATALOG = ("services", "specialists", "specialist_services", "weekly_shifts", "date_shifts", "blocked_periods")
# An upsert: a deleted row comes back instead of the revision staying put.
RAISE = (
    "INSERT INTO catalog_revision (id, revision) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET revision = catalog_revision.revision + 1"
)


def upgrade() -> None:
    op.create_table(
        "catalog_revision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("revision", sa.BigInteger(), nullable=False),
    )
    op.execute("INSERT INTO catalog_revision (id, revision) VALUES (1, 1)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION catalog_changed() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {RAISE}; RETURN NULL; END $$"
        )
        for table in CATALOG:
            op.execute(
                f"CREATE TRIGGER {table}_catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed()"
            )
    else:
        for table in CATALOG:
            for event in ("insert", "update", "delete"):
                op.execute(
                    f"CREATE TRIGGER {table}_catalog_{event} AFTER {event.upper()} ON {table} BEGIN {RAISE}; END"
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in CATALOG:
            op.execute(f"DROP TRIGGER {table}_catalog_changed ON {table}")
        op.execute("DROP FUNCTION catalog_changed()")
    else:
        for table in CATALOG:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_catalog_{event}")
    op.drop_table("catalog_revision")
