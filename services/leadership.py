"""Exactly one bot process runs the scheduler: the one holding a PostgreSQL advisory lock.

APScheduler 3 cannot share a job store between running schedulers (each would run every due job), so
every process starts its scheduler paused — able to add and remove jobs in the shared store — and only
the holder of a session-level advisory lock, taken on a dedicated connection, resumes it. When that
process dies or loses the database, PostgreSQL releases the lock and another process takes over.
The holder also LISTENs for job changes made by the others, since its scheduler would otherwise sleep
until the next run time it knows of.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

import asyncpg
from sqlalchemy.engine import make_url

from services.scheduling import JOBS_CHANGED

log = logging.getLogger(__name__)

LOCK_KEY = 0x426F6F6B  # "Book"
RETRY_SECONDS = 3.0
HEARTBEAT_SECONDS = 2.0
# PostgreSQL frees the lock when the holder's connection closes. A holder that vanishes without closing it
# (network loss, a frozen machine) is noticed by these server-side probes within about 11 seconds, instead
# of the operating system's default of two hours.
DEAD_PEER_SETTINGS = {
    "tcp_keepalives_idle": "5",
    "tcp_keepalives_interval": "2",
    "tcp_keepalives_count": "3",
    "tcp_user_timeout": "10000",
}


def asyncpg_dsn(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class SchedulerLeadership:
    def __init__(
        self,
        dsn: str,
        on_elected: Callable[[], Awaitable[None]],
        on_deposed: Callable[[], None],
        on_jobs_changed: Callable[[], None],
        own_sender_id: str = "",
    ) -> None:
        self.dsn = dsn
        self.own_sender_id = own_sender_id
        self.on_elected = on_elected
        self.on_deposed = on_deposed
        self.on_jobs_changed = on_jobs_changed
        self.is_leader = False
        self.elected = asyncio.Event()

    async def run(self) -> None:
        """Campaign forever: wait for the lock, lead while the connection lives, step down when it dies."""
        while True:
            connection: asyncpg.Connection | None = None
            try:
                connection = await asyncpg.connect(self.dsn, timeout=10, server_settings=DEAD_PEER_SETTINGS)
                # Waits in PostgreSQL until the holder lets go, or its connection dies with it.
                await connection.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
                await connection.add_listener(JOBS_CHANGED, self._notified)
                self.is_leader = True
                log.info("This process now runs the scheduler")
                await self.on_elected()
                self.elected.set()
                while True:
                    await asyncio.sleep(HEARTBEAT_SECONDS)
                    await asyncio.wait_for(connection.fetchval("SELECT 1"), HEARTBEAT_SECONDS * 2)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
                if self.is_leader:
                    log.warning("Lost the scheduler lock (%s): pausing the scheduler", reason)
                else:
                    log.warning("Cannot campaign for the scheduler lock yet: %s", reason)
                await asyncio.sleep(RETRY_SECONDS)
            finally:
                if self.is_leader:
                    self.is_leader = False
                    self.elected.clear()
                    self.on_deposed()
                if connection is not None:
                    connection.terminate()

    def _notified(self, _connection: object, _pid: int, _channel: str, sender: str) -> None:
        if sender != self.own_sender_id:  # this process's own scheduler already knows its own jobs
            self.on_jobs_changed()
