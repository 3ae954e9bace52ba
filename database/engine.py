import asyncio
import logging
import sqlite3
from collections.abc import Callable
from contextvars import ContextVar
from enum import StrEnum
from typing import Any

import asyncpg
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.util import await_

from services.config import Settings

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


def create_engine(settings: Settings) -> AsyncEngine:
    if settings.db_kind == "postgresql":
        return create_async_engine(settings.database_url, pool_pre_ping=True, pool_size=10)
    if settings.sqlite_path is not None:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(settings.database_url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    _serialise_sqlite_writers(engine)
    return engine


class TransactionMode(StrEnum):
    WRITE = "write"  # may write: on SQLite it queues for the write lock at BEGIN
    READ = "read"  # only reads: on SQLite a snapshot that waits for no one


_transaction_mode: ContextVar[TransactionMode] = ContextVar("transaction_mode", default=TransactionMode.WRITE)


async def use_transactions(session: AsyncSession, mode: TransactionMode) -> None:
    """This task's transactions begin for `mode` from now on; a transaction in progress is committed first.

    Only SQLite tells them apart: a READ transaction takes no write lock, so updates that only read do not
    queue behind those that write. A READ transaction that writes after all may do so if nothing was
    written since it began, and fails with "database is locked" otherwise rather than write on a stale read.
    """
    if _transaction_mode.get() is mode or session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        await commit(session)
    _transaction_mode.set(mode)


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
            writers.end(connection.info, committed=True)

    @event.listens_for(engine.sync_engine, "rollback")
    def _on_rollback(connection: Any) -> None:
        if not connection.invalidated:
            writers.end(connection.info, committed=False)

    @event.listens_for(engine.sync_engine.pool, "checkin")
    @event.listens_for(engine.sync_engine.pool, "invalidate")
    def _on_release(_dbapi_connection: Any, record: Any, *_: Any) -> None:
        writers.end(record.info, committed=False)  # a connection lost mid-transaction never sees its rollback


_HOLDS_TURN = "holds_writer_turn"
_READ_SINCE = "read_since_commit"
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class _SqliteWriters:
    """SQLite's one writer at a time, queued in arrival order within the process.

    SQLite's own busy handler polls with sleeps of up to 100 ms, so under load a waiter could lose the lock
    for seconds to later arrivals (p95 wait 0.9 s for 6 ms transactions, measured with 100 clients); an
    asyncio lock in front of it serves them in turn. The events call it from AsyncEngine's greenlet,
    which can await.
    """

    def __init__(self) -> None:
        self.turn = asyncio.Lock()
        self.commits = 0  # write transactions committed by this process: a READ one began before or after

    def begin(self, connection: Any) -> None:
        if _transaction_mode.get() is TransactionMode.READ:
            connection.exec_driver_sql("BEGIN")
            connection.info[_READ_SINCE] = self.commits
            return
        self._wait_for_turn(connection.info)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.end(connection.info, committed=False)
            raise

    def upgrade(self, connection: Any) -> None:
        """A READ transaction is about to write: fine if no writer has committed since it began."""
        began_after = connection.info.pop(_READ_SINCE)
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


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


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
    """The one way a unit of work ends: commit, then the side effects that need committed data.

    Those (scheduling jobs) may be synchronous round trips to the job store, so they run in a worker thread
    rather than stall every other update on the event loop.
    """
    await session.commit()
    callbacks: list[Callable[[], None]] = session.info.pop("after_commit", [])
    if callbacks:
        await asyncio.to_thread(_run_all, callbacks)


def _run_all(callbacks: list[Callable[[], None]]) -> None:
    for callback in callbacks:
        callback()


async def rollback(session: AsyncSession) -> None:
    await session.rollback()
    session.info.pop("after_commit", None)
