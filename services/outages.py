"""Late, not lost, when the database is away: a job that met an outage is put back to run again soon."""

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

from database.engine import is_unavailable
from services import runtime

log = logging.getLogger(__name__)

BACKOFF = tuple(timedelta(seconds=s) for s in (5, 10, 20, 40, 60))  # then every minute
PATIENCE = timedelta(minutes=10)


def backoff(attempt: int) -> timedelta:
    """How long after its `attempt`-th outage (0: the first) a job runs again."""
    return BACKOFF[min(attempt, len(BACKOFF) - 1)]


async def run_again_later(
    rt: runtime.Runtime, what: str, error: BaseException, attempt: int, put_back: Callable[[timedelta], None]
) -> None:
    """Put a job that met a database outage back into the job store, `backoff(attempt)` from now.

    With the PostgreSQL job store the outage may keep the store away too: then keep trying here, while this
    process is running, for up to PATIENCE; past that, the reconcile of whichever process next takes charge
    of the scheduler (and the sweeps) restore the booking's jobs.
    """
    delay = backoff(attempt)
    log.warning("%s met a database outage (%s): again in %d s", what, error, delay.total_seconds())
    deadline = asyncio.get_running_loop().time() + PATIENCE.total_seconds()
    while True:
        try:
            await asyncio.to_thread(put_back, delay)
            return
        except Exception as store_error:
            if not is_unavailable(store_error):
                raise
            if rt.stopping.is_set() or asyncio.get_running_loop().time() > deadline:
                log.error("%s could not be put back (%s); reconcile will restore it", what, store_error)
                return
            await asyncio.sleep(delay.total_seconds())
