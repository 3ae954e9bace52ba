import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from database import sqlite_driver
from database.engine import TransactionMode, commit, create_sessionmaker, use_transactions
from tests.database.conftest import sqlite_engine_with


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    async with sqlite_engine_with(tmp_path, "CREATE TABLE numbers (n INTEGER PRIMARY KEY, word TEXT)") as engine:
        yield engine


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The calls made on the connection's thread, by the function each ran."""
    made: list[str] = []
    execute = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        made.append(getattr(fn, "__name__", repr(fn)))
        return await execute(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return made


async def test_sqlite_driver_runs_each_statement_in_one_trip(engine: AsyncEngine, trips: list[str]) -> None:
    async with engine.connect() as connection:
        await connection.begin()
        (await connection.get_raw_connection()).driver_connection.run_on_loop(False)
        trips.clear()
        inserted = await connection.execute(
            text("INSERT INTO numbers (n, word) VALUES (:n, :word)"), [{"n": n, "word": f"#{n}"} for n in range(5)]
        )
        assert inserted.rowcount == 5
        assert trips == ["_executemany"]

        trips.clear()
        one = await connection.execute(text("INSERT INTO numbers (word) VALUES ('last')"))
        assert one.lastrowid == 5
        rows = (await connection.execute(text("SELECT n, word FROM numbers WHERE n >= :n ORDER BY n"), {"n": 3})).all()
        assert [tuple(row) for row in rows] == [(3, "#3"), (4, "#4"), (5, "last")]
        assert (await connection.execute(text("SELECT count(*) FROM numbers"))).scalar_one() == 6
        assert trips == ["_execute", "_execute", "_execute"]


async def test_sqlite_driver_streams_a_large_result_a_chunk_per_trip(engine: AsyncEngine, trips: list[str]) -> None:
    total = sqlite_driver.CHUNK_ROWS * 2 + 500
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO numbers (n) VALUES (:n)"), [{"n": n} for n in range(total)])
    async with engine.connect() as connection:
        await connection.begin()  # holding the write lock: statements run on the loop
        trips.clear()
        result = await connection.stream(text("SELECT n FROM numbers ORDER BY n"))
        batches = [[n for (n,) in batch] async for batch in result.partitions(700)]
        assert [n for batch in batches for n in batch] == list(range(total))
        assert {len(batch) for batch in batches[:-1]} == {700}
        assert trips == ["_fetch_chunk", "_fetch_chunk"], (
            "the first chunk comes with the statement, the rest on the thread"
        )

        everything = (await connection.execute(text("SELECT n FROM numbers"))).scalars().all()
        assert len(everything) == total
        assert trips[2:] == ["_fetch_rest"]


async def test_sqlite_driver_errors_are_the_usual_ones_and_leave_the_connection_usable(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("INSERT INTO numbers (n) VALUES (1)"))
        with pytest.raises(IntegrityError, match="UNIQUE constraint failed"):
            await connection.execute(text("INSERT INTO numbers (n) VALUES (1)"))
        with pytest.raises(OperationalError, match="no such table"):
            await connection.execute(text("SELECT * FROM nowhere"))
        assert (await connection.execute(text("SELECT count(*) FROM numbers"))).scalar_one() == 1


async def test_sqlite_driver_runs_on_the_loop_what_waits_for_no_one(engine: AsyncEngine, trips: list[str]) -> None:
    sessionmaker = create_sessionmaker(engine)
    async with sessionmaker() as session:
        await session.execute(text("INSERT INTO numbers (n) VALUES (1)"))
        await commit(session)
        await use_transactions(session, TransactionMode.READ)
        trips.clear()
        assert (await session.execute(text("SELECT count(*) FROM numbers"))).scalar_one() == 1
        await commit(session)
        assert trips == []

        await use_transactions(session, TransactionMode.WRITE)
        await session.execute(text("INSERT INTO numbers (n) VALUES (2)"))
        await commit(session)
        assert trips[:2] == ["_execute", "commit"], "only BEGIN IMMEDIATE and COMMIT, which may wait, on the thread"


async def test_sqlite_driver_a_busy_read_waits_on_the_thread_not_on_the_loop(tmp_path: Path) -> None:
    path = str(tmp_path / "journal.db")  # a rollback journal, not WAL: there a writer's EXCLUSIVE lock stops readers
    with sqlite3.connect(path) as setup:
        setup.execute("CREATE TABLE numbers (n INTEGER)")
        setup.execute("INSERT INTO numbers VALUES (1)")
    setup.close()
    connection = await sqlite_driver.connect(path, timeout=10, isolation_level=None)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    asyncio.get_running_loop().call_later(0.3, holder.rollback)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticker = asyncio.create_task(tick())
    try:
        connection.run_on_loop(True)
        started = time.monotonic()
        cursor = connection.cursor()
        await cursor.execute("SELECT count(*) FROM numbers")
        assert await cursor.fetchall() == [(1,)]
        assert time.monotonic() - started >= 0.25, "it waited for the lock"
        assert ticks >= 10, "on the thread: the loop went on meanwhile"
    finally:
        ticker.cancel()
        holder.close()
        await connection.close()
