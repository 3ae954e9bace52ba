"""Migrations of a database that already holds data, on both databases."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, bindparam, column, func, insert, select, table, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from database.migrate import alembic_config
from database.models import Base, BlockedPeriod, Booking, Specialist, User
from database.types import UTCDateTime


async def migrate(engine: AsyncEngine, revision: str) -> None:
    def upgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(upgrade)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    def go(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(go)


async def run(engine: AsyncEngine, work: Callable[[Connection], object]) -> object:
    async with engine.begin() as connection:
        return await connection.run_sync(work)


async def test_migrations_0004_merges_twin_blocks_and_refuses_new_ones(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        await migrate(engine, "0003")
        start = datetime(2030, 1, 1, 9, tzinfo=UTC)
        rows = [
            {"starts_at": start, "ends_at": start + timedelta(hours=3), "reason": "first", "created_at": start},
            {"starts_at": start, "ends_at": start + timedelta(hours=3), "reason": "again", "created_at": start},
            {"starts_at": start, "ends_at": start + timedelta(hours=4), "reason": "longer", "created_at": start},
        ]
        await run(engine, lambda c: c.execute(insert(BlockedPeriod), rows))
        await migrate(engine, "head")
        reasons = await run(engine, lambda c: c.scalars(select(BlockedPeriod.reason).order_by(BlockedPeriod.id)).all())
        assert reasons == ["first", "longer"], "the oldest twin is kept"
        with pytest.raises(IntegrityError):
            await run(engine, lambda c: c.execute(insert(BlockedPeriod), rows[1]))
        assert await run(engine, lambda c: c.scalar(select(func.count()).select_from(BlockedPeriod))) == 2
    finally:
        await engine.dispose()


async def test_migrations_0005_gives_every_existing_booking_one_specialist_who_performs_everything(
    database_url: str,
) -> None:
    engine = create_async_engine(database_url)
    try:
        await migrate(engine, "0004")
        start = datetime(2030, 1, 1, 9, tzinfo=UTC)
        # The previous head's columns only: the models have more.
        await run(engine, lambda c: c.execute(insert(User), [{"id": 1, "first_name": "A"}]))
        await run(
            engine,
            lambda c: c.execute(
                text(
                    "INSERT INTO services (id, name, duration_minutes, is_active, position, created_at) "
                    "VALUES (1, 'Visit', 60, true, 0, :at)"
                ),
                {"at": start},
            ),
        )
        old_columns = {"user_id": 1, "service_id": 1, "booked_at": start, "created_at": start, "updated_at": start}
        rows = [
            {**old_columns, "starts_at": start, "ends_at": start + timedelta(hours=1), "status": "active"},
            {**old_columns, "starts_at": start, "ends_at": start + timedelta(hours=1), "status": "cancelled"},
        ]
        old_bookings = table(
            "bookings", *(column(name, UTCDateTime() if name.endswith("_at") else None) for name in rows[0])
        )
        await run(engine, lambda c: c.execute(insert(old_bookings), rows))
        await migrate(engine, "head")

        specialists = await run(engine, lambda c: c.execute(select(Specialist.id, Specialist.all_services)).all())
        assert [tuple(row) for row in specialists] == [(1, True)]
        bookings = await run(
            engine, lambda c: c.execute(select(Booking.specialist_id, Booking.occupied_until, Booking.ends_at)).all()
        )
        assert [(row[0], row[1] == row[2]) for row in bookings] == [(1, True), (1, True)]
        overlapping = {**rows[0], "specialist_id": 1, "occupied_until": rows[0]["ends_at"]}
        with pytest.raises(IntegrityError, match="booking_overlap"):
            await run(engine, lambda c: c.execute(insert(Booking.__table__).values(overlapping)))
        await run(engine, lambda c: c.execute(insert(Specialist.__table__).values(id=2, name="B", created_at=start)))
        await run(engine, lambda c: c.execute(insert(Booking.__table__).values({**overlapping, "specialist_id": 2})))
    finally:
        await engine.dispose()


async def test_migrations_since_0005_downgrade_to_the_previous_heads(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        await migrate(engine, "head")
        await downgrade(engine, "0008")
        await downgrade(engine, "0007")
        await downgrade(engine, "0006")
        await downgrade(engine, "0005")
        await downgrade(engine, "0004")
        await migrate(engine, "head")
    finally:
        await engine.dispose()


async def test_migrations_0006_every_change_of_the_catalog_raises_its_revision(database_url: str) -> None:
    engine = create_async_engine(database_url)
    at = datetime(2030, 1, 1, 9, tzinfo=UTC)
    changes = [
        ("INSERT INTO services (id, name, duration_minutes, is_active, created_at) VALUES (7, 'S', 30, true, :at)"),
        "UPDATE services SET name = 'T' WHERE id = 7",
        "INSERT INTO specialists (id, name, created_at) VALUES (7, 'A', :at)",
        "INSERT INTO specialist_services (specialist_id, service_id) VALUES (7, 7)",
        "DELETE FROM specialist_services",
        "INSERT INTO weekly_shifts (specialist_id, weekday, start_minute, end_minute) VALUES (7, 0, 60, 120)",
        "UPDATE weekly_shifts SET end_minute = 180",
        "INSERT INTO date_shifts (specialist_id, day, start_minute, end_minute) VALUES (7, '2030-01-01', 60, 90)",
        "DELETE FROM date_shifts",
        "INSERT INTO blocked_periods (starts_at, ends_at, created_at) VALUES (:at, :later, :at)",
        "DELETE FROM blocked_periods",
        "DELETE FROM weekly_shifts",
        "DELETE FROM specialists WHERE id = 7",
        "DELETE FROM services WHERE id = 7",
    ]

    async def revision() -> int:
        return await run(engine, lambda c: c.scalar(text("SELECT revision FROM catalog_revision")))  # type: ignore[return-value]

    try:
        await migrate(engine, "head")
        seen = [await revision()]
        values = {"at": at, "later": at + timedelta(hours=1)}
        for change in changes:
            await run(engine, lambda c, change=change: c.execute(text(change), values))
            seen.append(await revision())
        assert all(after > before for before, after in pairwise(seen)), list(zip(changes, pairwise(seen), strict=True))
        await run(engine, lambda c: c.execute(text("DELETE FROM catalog_revision")))
        await run(engine, lambda c: c.execute(text(changes[0]), values))
        assert await revision() == 1, "the row comes back with the next change"
        await run(
            engine,
            lambda c: c.execute(
                text(
                    "INSERT INTO users (id, first_name, blocked_bot, created_at, updated_at) "
                    "VALUES (5, 'U', false, :at, :at)"
                ).bindparams(at=at)
            ),
        )
        assert await revision() == 1, "what is not the catalog leaves it alone"
    finally:
        await engine.dispose()


async def test_migrations_head_matches_the_models_on_postgresql(postgres_url: str) -> None:
    """Columns, constraints and indexes added by hand in a migration are the models' own. PostgreSQL only: on
    SQLite, 0005 keeps two columns nullable (triggers enforce them) since it cannot alter them in place."""
    engine = create_async_engine(postgres_url)
    try:
        await migrate(engine, "head")
        async with engine.connect() as connection:
            drift = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await engine.dispose()
    assert drift == []


async def test_migrations_0009_admits_no_show_and_still_refuses_other_statuses(database_url: str) -> None:
    engine = create_async_engine(database_url)
    at = datetime(2030, 1, 1, 9, tzinfo=UTC)
    booking = text(
        "INSERT INTO bookings (user_id, service_id, specialist_id, starts_at, ends_at, occupied_until, status, "
        "booked_at, created_at, updated_at) VALUES (1, 1, 1, :start, :end, :end, :status, :start, :start, :start)"
    ).bindparams(bindparam("start", type_=UTCDateTime()), bindparam("end", type_=UTCDateTime()))

    def add(status: str, day: int) -> Callable[[Connection], object]:
        start = at + timedelta(days=day)
        return lambda c: c.execute(booking, {"start": start, "end": start + timedelta(hours=1), "status": status})

    try:
        await migrate(engine, "head")
        await run(
            engine,
            lambda c: c.execute(insert(User.__table__).values(id=1, first_name="A", created_at=at, updated_at=at)),
        )
        await run(
            engine,
            lambda c: c.execute(
                text(
                    "INSERT INTO services (id, name, duration_minutes, is_active, created_at) "
                    "VALUES (1, 'S', 60, true, CURRENT_TIMESTAMP)"
                )
            ),
        )
        await run(engine, add("no_show", 0))
        with pytest.raises(IntegrityError, match="ck_bookings_status"):
            await run(engine, add("lost", 1))
        await downgrade(engine, "0008")
        statuses = await run(engine, lambda c: c.execute(text("SELECT status FROM bookings")).scalars().all())
        assert statuses == ["completed"], "a no-show becomes completed in the older schema"
    finally:
        await engine.dispose()
