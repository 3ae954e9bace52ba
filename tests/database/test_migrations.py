"""Migrations of a database that already holds data, on both databases."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import Connection, column, func, insert, select, table, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from database.migrate import alembic_config
from database.models import BlockedPeriod, Booking, Specialist, User
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


async def test_migrations_0005_downgrades_to_the_previous_head(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        await migrate(engine, "head")
        await downgrade(engine, "0004")
        await migrate(engine, "head")
    finally:
        await engine.dispose()
