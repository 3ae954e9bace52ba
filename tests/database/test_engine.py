import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from database.engine import create_engine
from tests.conftest import eventually, make_settings


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(make_settings(f"sqlite+aiosqlite:///{tmp_path}/x.db"))
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE arrivals (n INTEGER)"))
    yield engine
    await engine.dispose()


async def test_engine_sqlite_writers_take_the_write_lock_in_arrival_order(sqlite_engine: AsyncEngine) -> None:
    pool = sqlite_engine.sync_engine.pool
    release = asyncio.Event()

    async def holder() -> None:
        async with sqlite_engine.begin() as connection:
            await connection.execute(text("INSERT INTO arrivals VALUES (0)"))
            await release.wait()

    async def writer(n: int) -> None:
        async with sqlite_engine.begin() as connection:
            await connection.execute(text("INSERT INTO arrivals VALUES (:n)"), {"n": n})

    tasks = [asyncio.create_task(holder())]
    await eventually(lambda: pool.checkedout() == 1, what="the first writer in its transaction")
    for n in range(1, 9):
        tasks.append(asyncio.create_task(writer(n)))
        # A waiting writer has its connection: it is queued once the pool counts it.
        await eventually(lambda n=n: pool.checkedout() == n + 1, what=f"writer {n} waiting")
    release.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 10)

    async with sqlite_engine.connect() as connection:
        order = (await connection.execute(text("SELECT n FROM arrivals ORDER BY rowid"))).scalars().all()
    assert order == list(range(9))


async def test_engine_sqlite_lost_connection_mid_transaction_frees_the_write_lock(sqlite_engine: AsyncEngine) -> None:
    async with sqlite_engine.connect() as lost:
        await lost.begin()
        await lost.execute(text("INSERT INTO arrivals VALUES (1)"))
        await lost.invalidate()
        await lost.rollback()

    async def write() -> None:
        async with sqlite_engine.begin() as connection:
            await connection.execute(text("INSERT INTO arrivals VALUES (2)"))

    await asyncio.wait_for(write(), 5)
