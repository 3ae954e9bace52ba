import asyncio
import logging
import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from enum import StrEnum
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.util import await_

from database import sqlite_driver

log = logging.getLogger(__name__)
SQLITE_BUSY_TIMEOUT_MS = 15_000


class DatabaseUnavailable(Exception):
    pass


def is_unavailable(error: BaseException) -> bool:
    """The database could not be reached (down, restarting, connection lost): worth retrying later.

    As opposed to a bug or a constraint violation, which a retry would only repeat.
    """
    if isinstance(error, DBAPIError):
        return (
            error.connection_invalidated
            or isinstance(error, OperationalError | InterfaceError)
            or _is_connection_failure(error.orig)
        )
    return isinstance(error, PoolTimeout) or _is_connection_failure(error)


def _is_connection_failure(error: BaseException | None) -> bool:
    # asyncpg's errors raised while connecting (e.g. "the database system is starting up") arrive
    # unwrapped; OSError covers refused and reset connections and connect timeouts.
    return isinstance(error, _CONNECTION_ERRORS)


_CONNECTION_ERRORS = (
    OSError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, crash shutdown, starting up
    asyncpg.exceptions.InterfaceError,  # the connection is closed
)


def create_engine(database_url: str) -> AsyncEngine:
    """The engine for a `postgresql+asyncpg://` or `sqlite+aiosqlite://` URL; a SQLite file's folder is created."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        engine = create_async_engine(url, pool_pre_ping=True, pool_size=10)
        _read_without_transactions(engine)
        return engine
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    arguments, options = url.get_dialect()().create_connect_args(url)
    options["timeout"] = SQLITE_BUSY_TIMEOUT_MS / 1000
    engine = create_async_engine(url, async_creator=lambda: sqlite_driver.connect(*arguments, **options))
    _serialise_sqlite_writers(engine)
    return engine


class TransactionMode(StrEnum):
    WRITE = "write"  # may write: on SQLite it queues for the write lock at BEGIN
    READ = "read"  # only reads: on SQLite a snapshot that waits for no one


_transaction_mode: ContextVar[TransactionMode] = ContextVar("transaction_mode", default=TransactionMode.WRITE)


async def use_transactions(session: AsyncSession, mode: TransactionMode) -> None:
    """This task's transactions begin for `mode` from now on; a transaction in progress is committed first.

    On SQLite a READ transaction takes no write lock, so updates that only read do not queue behind those
    that write; one that writes after all may do so if nothing was written since it began, and fails with
    "database is locked" otherwise rather than write on a stale read. On PostgreSQL reads run without a
    transaction (see `_read_without_transactions`).
    """
    if _transaction_mode.get() is mode:
        return
    if session.in_transaction():
        await commit(session)
    _transaction_mode.set(mode)


@asynccontextmanager
async def reading(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session whose transactions only read (on SQLite: no write lock), for work outside an update."""
    token = _transaction_mode.set(TransactionMode.READ)
    try:
        async with sessionmaker() as session:
            yield session
    finally:
        _transaction_mode.reset(token)


def _read_without_transactions(engine: AsyncEngine) -> None:
    # READ COMMITTED gives each statement its own snapshot whether or not a transaction spans them, so a unit
    # of work that only reads runs its statements in autocommit: no BEGIN and COMMIT round trips, and the pool's
    # liveness check of a returned connection is one round trip instead of three (BEGIN, ping, ROLLBACK).
    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.connection.dbapi_connection.autocommit = _transaction_mode.get() is TransactionMode.READ

    @event.listens_for(engine.sync_engine.pool, "checkin")
    def _on_checkin(dbapi_connection: Any, _record: Any) -> None:
        if dbapi_connection is not None:
            dbapi_connection.autocommit = True


def _serialise_sqlite_writers(engine: AsyncEngine) -> None:
    # A WRITE transaction starts with BEGIN IMMEDIATE: writers queue on SQLite's write lock up front,
    # so a read-then-write transaction (the per-client limit) cannot interleave with another one,
    # and none fails half-way with "database is locked". pysqlite's own BEGIN handling is switched off.
    writers = _SqliteWriters()

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        writers.begin(connection)

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _on_execute(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if _READ_SINCE in connection.info and statement.lstrip()[:7].upper().startswith(_WRITES):
            writers.upgrade(connection)

    @event.listens_for(engine.sync_engine, "commit")
    def _on_commit(connection: Any) -> None:
        if not connection.invalidated:  # an invalidated one gave its turn back with its connection
            if connection.info.get(_HOLDS_TURN):
                _driver_connection(connection).run_on_loop(False)  # a COMMIT that wrote may wait for the disk
            writers.end(connection.info, committed=True)

    @event.listens_for(engine.sync_engine, "rollback")
    def _on_rollback(connection: Any) -> None:
        if not connection.invalidated:
            writers.end(connection.info, committed=False)

    @event.listens_for(engine.sync_engine.pool, "checkin")
    @event.listens_for(engine.sync_engine.pool, "invalidate")
    def _on_release(_dbapi_connection: Any, record: Any, *_: Any) -> None:
        writers.end(record.info, committed=False)  # a connection lost mid-transaction never sees its rollback


def _driver_connection(connection: Any) -> sqlite_driver.OneTripConnection:
    return connection.connection.driver_connection  # type: ignore[no-any-return]


_HOLDS_TURN = "holds_writer_turn"
_READ_SINCE = "read_since_commit"
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class _SqliteWriters:
    """SQLite's one writer at a time, queued in arrival order within the process.

    SQLite's own busy handler polls with sleeps, so under load a waiter could lose the lock again and again
    to later arrivals; an asyncio lock in front of it serves them in turn. The events call it from
    AsyncEngine's greenlet, which can await.
    """

    def __init__(self) -> None:
        self.turn = asyncio.Lock()
        self.commits = 0  # write transactions committed by this process: a READ one began before or after

    def begin(self, connection: Any) -> None:
        if _transaction_mode.get() is TransactionMode.READ:
            _driver_connection(connection).run_on_loop(True)
            connection.exec_driver_sql("BEGIN")
            connection.info[_READ_SINCE] = self.commits
            return
        _driver_connection(connection).run_on_loop(False)
        self._wait_for_turn(connection.info)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.end(connection.info, committed=False)
            raise
        _driver_connection(connection).run_on_loop(True)  # holding the write lock, it waits for no one

    def upgrade(self, connection: Any) -> None:
        """A READ transaction is about to write: fine if no writer has committed since it began."""
        began_after = connection.info.pop(_READ_SINCE)
        _driver_connection(connection).run_on_loop(False)  # a write may wait for the lock, or for the disk
        self._wait_for_turn(connection.info)
        if self.commits != began_after:
            self.end(connection.info, committed=False)
            raise sqlite3.OperationalError("database is locked: written to since this transaction read")

    def end(self, info: dict[str, Any], *, committed: bool) -> None:
        info.pop(_READ_SINCE, None)
        if info.pop(_HOLDS_TURN, False):
            self.commits += committed
            self.turn.release()

    def _wait_for_turn(self, info: dict[str, Any]) -> None:
        try:
            await_(self._acquire())
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked (waited for another transaction)") from None
        info[_HOLDS_TURN] = True

    async def _acquire(self) -> None:
        async with asyncio.timeout(SQLITE_BUSY_TIMEOUT_MS / 1000):
            await self.turn.acquire()


_AFTER_COMMIT_WORK = "after_commit_work"


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, info={_AFTER_COMMIT_WORK: AfterCommitWork()})


async def check_connection(engine: AsyncEngine) -> None:
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:
        url = engine.url.render_as_string(hide_password=True)
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DatabaseUnavailable(f"cannot reach the database at {url}: {reason}") from error


def after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run `callback` once the session's transaction has committed (e.g. schedule a job)."""
    session.info.setdefault("after_commit", []).append(callback)


async def commit(session: AsyncSession) -> None:
    """The one way a unit of work ends: commit, then hand the side effects that need committed data over.

    They run after the caller has moved on (see AfterCommitWork): a client hears "booked" once the booking
    is committed, without waiting for the job store too.
    """
    await session.commit()
    callbacks: list[Callable[[], None]] = session.info.pop("after_commit", [])
    if callbacks:
        session.info[_AFTER_COMMIT_WORK].submit(callbacks)


class AfterCommitWork:
    """The side effects of commits (a booking's jobs, admin notices), done in commit order in a worker thread.

    With the PostgreSQL job store each job is a few synchronous round trips; done before the reply they made
    up most of the time a client waited for "booked". The booking row is what counts: were the process to
    die before its jobs are stored, reconcile at the next start and the sweeps meanwhile make up for them.
    While the database is unavailable the work waits and retries, and later work queues behind it.
    """

    RETRY_SECONDS = (1, 2, 4, 8, 15)

    def __init__(self) -> None:
        self._last: asyncio.Task[None] | None = None

    def submit(self, callbacks: list[Callable[[], None]]) -> None:
        self._last = asyncio.get_running_loop().create_task(self._run(self._last, deque(callbacks)))

    async def done(self) -> None:
        """Wait for all the work submitted so far (and any submitted meanwhile)."""
        while self._last is not None and not self._last.done():
            await asyncio.wait({self._last})

    async def _run(self, previous: asyncio.Task[None] | None, callbacks: deque[Callable[[], None]]) -> None:
        if previous is not None:
            await asyncio.wait({previous})
        retries = iter(self.RETRY_SECONDS)
        while callbacks:
            try:
                await asyncio.to_thread(_run_in_order, callbacks)
            except Exception as error:
                delay = next(retries, None) if is_unavailable(error) else None
                if delay is None:
                    log.error("Work after a commit failed: %s", callbacks.popleft(), exc_info=error)
                    continue
                log.warning("Work after a commit waits for the database (%s): again in %d s", error, delay)
                await asyncio.sleep(delay)


def _run_in_order(callbacks: deque[Callable[[], None]]) -> None:
    # A callback leaves the queue once done, so a retry resumes with the one that failed.
    while callbacks:
        callbacks[0]()
        callbacks.popleft()


async def after_commit_work_done(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Wait until the side effects of everything committed through `sessionmaker` so far have run."""
    await sessionmaker.kw["info"][_AFTER_COMMIT_WORK].done()


async def rollback(session: AsyncSession) -> None:
    await session.rollback()
    session.info.pop("after_commit", None)
