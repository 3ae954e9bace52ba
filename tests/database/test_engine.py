import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from database.engine import (
    AfterCommitWork,
    TransactionMode,
    _transaction_mode,
    after_commit,
    after_commit_work_done,
    commit,
    create_engine,
    create_sessionmaker,
    reading,
    rollback,
    use_transactions,
)
from tests.conftest import eventually
from tests.database.conftest import sqlite_engine_with


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    async with sqlite_engine_with(tmp_path, "CREATE TABLE arrivals (n INTEGER)") as engine:
        yield engine


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


@asynccontextmanager
async def writer_holding_the_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    """Another writer inside its transaction, holding SQLite's write lock, until the block ends."""
    release = asyncio.Event()

    async def slow_writer() -> None:
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO arrivals VALUES (1)"))
            await release.wait()

    writing = asyncio.create_task(slow_writer())
    await eventually(lambda: engine.sync_engine.pool.checkedout() == 1, what="the writer in its transaction")
    try:
        yield
    finally:
        release.set()
        await writing


async def test_engine_sqlite_read_transactions_do_not_wait_for_a_writer(sqlite_engine: AsyncEngine) -> None:
    async with writer_holding_the_lock(sqlite_engine), create_sessionmaker(sqlite_engine)() as session:
        await use_transactions(session, TransactionMode.READ)
        seen = await asyncio.wait_for(session.scalar(text("SELECT count(*) FROM arrivals")), 5)
        assert seen == 0, "the writer has not committed"


async def test_engine_reading_sessions_wait_for_no_writer_and_leave_the_mode_as_it_was(
    sqlite_engine: AsyncEngine,
) -> None:
    async with writer_holding_the_lock(sqlite_engine), reading(create_sessionmaker(sqlite_engine)) as session:
        assert await asyncio.wait_for(session.scalar(text("SELECT count(*) FROM arrivals")), 5) == 0
    assert _transaction_mode.get() is TransactionMode.WRITE, "the caller's later transactions may write"


async def test_engine_sqlite_read_transaction_writes_only_if_nothing_was_written_since_it_began(
    sqlite_engine: AsyncEngine,
) -> None:
    sessionmaker = create_sessionmaker(sqlite_engine)
    async with sessionmaker() as session:
        await use_transactions(session, TransactionMode.READ)
        await session.scalar(text("SELECT count(*) FROM arrivals"))
        await session.execute(text("INSERT INTO arrivals VALUES (1)"))
        await commit(session)

        await session.scalar(text("SELECT count(*) FROM arrivals"))
        async with sqlite_engine.begin() as other:
            await other.execute(text("INSERT INTO arrivals VALUES (2)"))
        with pytest.raises(OperationalError, match="database is locked"):
            await session.execute(text("INSERT INTO arrivals VALUES (3)"))
        await rollback(session)

    async with sqlite_engine.connect() as connection:
        rows = (await connection.execute(text("SELECT n FROM arrivals ORDER BY rowid"))).scalars().all()
    assert rows == [1, 2]


async def test_engine_commit_leaves_its_side_effects_to_run_after_it_in_commit_order(
    sqlite_engine: AsyncEngine,
) -> None:
    sessionmaker = create_sessionmaker(sqlite_engine)
    job_store_busy = threading.Event()
    done: list[str] = []

    def slow_job_store() -> None:
        assert job_store_busy.wait(10)
        done.append("first booking's jobs")

    async with sessionmaker() as first, sessionmaker() as second:
        after_commit(first, slow_job_store)
        after_commit(first, lambda: done.append("first booking's notice"))
        after_commit(second, lambda: done.append("second booking's jobs"))
        # Neither commit waits for the job store: the client hears "booked" once the booking is in.
        await asyncio.wait_for(commit(first), 5)
        await asyncio.wait_for(commit(second), 5)
    assert done == []
    job_store_busy.set()
    await asyncio.wait_for(after_commit_work_done(sessionmaker), 10)
    assert done == ["first booking's jobs", "first booking's notice", "second booking's jobs"]


async def test_engine_after_commit_work_waits_out_an_unavailable_database_and_skips_a_failure(
    sqlite_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(AfterCommitWork, "RETRY_SECONDS", (0.01, 0.01, 0.01))
    sessionmaker = create_sessionmaker(sqlite_engine)
    refusals = iter([ConnectionRefusedError("database restarting")] * 2)
    done: list[str] = []

    def schedule_jobs() -> None:
        if (refused := next(refusals, None)) is not None:
            raise refused
        done.append("jobs")

    def broken() -> None:
        raise ValueError("a bug")

    async with sessionmaker() as session:
        for callback in (schedule_jobs, broken, lambda: done.append("notice")):
            after_commit(session, callback)
        await commit(session)
    await asyncio.wait_for(after_commit_work_done(sessionmaker), 10)
    assert done == ["jobs", "notice"], "each callback once, in order, despite the outage and the failure"
    assert len([r for r in caplog.records if "waits for the database" in r.message]) == 2
    failures = [r.exc_info[1] for r in caplog.records if r.exc_info]
    assert [type(error) for error in failures] == [ValueError], "the failure is logged with its traceback"


async def test_engine_postgresql_reads_without_a_transaction_and_writes_in_one(postgres_url: str) -> None:
    """now() is the transaction's start: two reads see two, a write unit of work one."""
    engine = create_engine(postgres_url)
    sessionmaker = create_sessionmaker(engine)
    try:
        for _ in range(2):  # a connection back from the pool too
            async with sessionmaker() as session:
                await use_transactions(session, TransactionMode.READ)
                first = await session.scalar(text("SELECT now()"))
                await asyncio.sleep(0.01)
                assert await session.scalar(text("SELECT now()")) > first
                await use_transactions(session, TransactionMode.WRITE)
                first = await session.scalar(text("SELECT now()"))
                await asyncio.sleep(0.01)
                assert await session.scalar(text("SELECT now()")) == first
                await rollback(session)
    finally:
        await engine.dispose()
