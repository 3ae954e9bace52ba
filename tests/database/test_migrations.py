"""Migrations of a database that already holds data, on both databases."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import Connection, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from database.migrate import alembic_config
from database.models import BlockedPeriod


async def migrate(engine: AsyncEngine, revision: str) -> None:
    def upgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(upgrade)


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
