"""aiosqlite connections whose statements make one trip to the connection's thread instead of four, or none.

SQLAlchemy's aiosqlite adapter opens a cursor, executes, fetches and closes it, each an await on aiosqlite's
thread; each result then waits for its turn on the event loop, behind whatever else the loop is doing. With
100 clients booking at once the loop is busy more than half the time, and a handful of statements per update
made those waits a good part of the reply time (bench/README.md). Here `execute` runs the statement and fetches
its rows in one call on that thread, and the cursor answers from what it brought back. A large result (a
server-side cursor's stream) is brought back in chunks, one trip each, so the loop keeps turning meanwhile.
Statements that wait for no one skip the trip and run on the loop itself (`OneTripConnection.run_on_loop`).
"""

import sqlite3
from collections.abc import Sequence
from typing import Any, Self

import aiosqlite

CHUNK_ROWS = 1000


class _Cursor:
    """The part of aiosqlite's Cursor that SQLAlchemy uses."""

    def __init__(self, connection: "OneTripConnection") -> None:
        self._connection = connection
        self._cursor: sqlite3.Cursor | None = None  # still open only while a large result has rows left
        self._rows: list[Any] = []
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] | None = None) -> Self:
        await self._run(_execute, sql, () if parameters is None else parameters)
        return self

    async def executemany(self, sql: str, parameters: Any) -> Self:
        await self._run(_executemany, sql, parameters)
        return self

    async def fetchone(self) -> Any:
        rows = await self.fetchmany(1)
        return rows[0] if rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        size = size or self.arraysize
        while len(self._rows) < size and self._cursor is not None:
            self._rows += await self._connection.trip(_fetch_chunk, self)
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows

    async def fetchall(self) -> list[Any]:
        if self._cursor is not None:
            self._rows += await self._connection.trip(_fetch_rest, self)
        rows, self._rows = self._rows, []
        return rows

    async def close(self) -> None:
        self._rows = []
        if self._cursor is not None:
            await self._connection.trip(_close, self)

    async def _run(self, run: Any, sql: str, parameters: Any) -> None:
        await self.close()
        self._rows = await self._connection._execute(run, self, self._connection._conn, sql, parameters)


# These run on the connection's thread, or on the loop (see `OneTripConnection.run_on_loop`).


def _execute(cursor: _Cursor, connection: sqlite3.Connection, sql: str, parameters: Any) -> list[Any]:
    return _started(cursor, connection, lambda raw: raw.execute(sql, parameters))


def _executemany(cursor: _Cursor, connection: sqlite3.Connection, sql: str, parameters: Any) -> list[Any]:
    return _started(cursor, connection, lambda raw: raw.executemany(sql, parameters))


def _started(cursor: _Cursor, connection: sqlite3.Connection, run: Any) -> list[Any]:
    raw = connection.cursor()
    try:
        run(raw)
        cursor.description, cursor.rowcount, cursor.lastrowid = raw.description, raw.rowcount, raw.lastrowid
        cursor._cursor = raw
        return _fetch_chunk(cursor) if raw.description else _close(cursor)
    except BaseException:
        raw.close()
        cursor._cursor = None
        raise


def _fetch_chunk(cursor: _Cursor) -> list[Any]:
    assert cursor._cursor is not None
    rows = cursor._cursor.fetchmany(CHUNK_ROWS)
    if len(rows) < CHUNK_ROWS:
        _close(cursor)
    return rows


def _fetch_rest(cursor: _Cursor) -> list[Any]:
    assert cursor._cursor is not None
    rows = cursor._cursor.fetchall()
    _close(cursor)
    return rows


def _close(cursor: _Cursor) -> list[Any]:
    if cursor._cursor is not None:
        cursor._cursor.close()
        cursor._cursor = None
    return []


class OneTripConnection(aiosqlite.Connection):
    busy_timeout_ms = 5000  # sqlite3's default
    _on_loop = False

    def cursor(self) -> _Cursor:  # type: ignore[override]
        return _Cursor(self)

    def run_on_loop(self, on_loop: bool) -> None:
        """Run the statements of the transaction about to begin here, on the event loop, or on the thread.

        For what waits for no one: in WAL mode a reader waits for no writer, and a writer that holds the
        write lock waits for no one until its COMMIT (which may wait for the disk); such statements take tens
        of microseconds, less than the trip. Should SQLite answer "busy" all the same (another process in
        exclusive locking mode, say), the statement goes to the thread, where it may wait: on the loop it
        never does. The first chunk of a result comes with its statement; the rest of a large one comes on
        the thread, a chunk a trip, so that the loop keeps turning meanwhile.
        """
        if on_loop != self._on_loop:
            timeout = 0 if on_loop else self.busy_timeout_ms
            self._conn.execute(f"PRAGMA busy_timeout={timeout}")  # the thread is idle: its user is here
            self._on_loop = on_loop

    async def trip(self, fn: Any, *args: Any) -> Any:
        """On the thread whatever the transaction: the rest of a large result, a chunk a trip."""
        return await super()._execute(fn, *args)

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if self._on_loop and self._running and self._connection is not None:
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                    raise
                self.run_on_loop(False)
        return await super()._execute(fn, *args, **kwargs)


async def connect(database: str, **options: Any) -> OneTripConnection:
    """Open a connection as `aiosqlite.connect` does (`options` go to `sqlite3.connect`)."""
    # Used from the loop and from its thread, never from both at once: each call is awaited before the next.
    options["check_same_thread"] = False
    connection = OneTripConnection(lambda: sqlite3.connect(database, **options), iter_chunk_size=CHUNK_ROWS)
    connection.busy_timeout_ms = round(options.get("timeout", 5.0) * 1000)
    connection._thread.daemon = True  # as SQLAlchemy makes aiosqlite's: a thread left behind must not hang exit
    return await connection
