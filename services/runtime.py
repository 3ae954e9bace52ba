"""What scheduler jobs reach at run time.

The persistent job store can pickle only a reference to a job function, never the bot or a
sessionmaker, so `main.py` installs them here at startup: the one module-level registry.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from config import Settings
from services.health import Counters
from services.messages import Composer
from services.rate_limit import RateLimiter
from services.scheduling import JobStoreInfo, ReminderJobs


@dataclass
class Runtime:
    bot: Bot
    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Settings
    jobs: ReminderJobs
    composer: Composer
    job_store: JobStoreInfo = field(default_factory=lambda: JobStoreInfo("memory", "not reported"))
    counters: Counters = field(default_factory=Counters)
    # Telegram allows about 30 messages a second per bot. At 28 a second with no burst, at most 29 go out in
    # any one second; the rest of the ceiling is for replies to clients (a reply that meets a flood limit
    # during a big sweep waits it out: bot.telegram_session).
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter(per_second=28, burst=1))
    in_flight: set[asyncio.Task[object]] = field(default_factory=set)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    @asynccontextmanager
    async def tracked(self) -> AsyncIterator[None]:
        """Let shutdown wait for work already under way (a send) instead of cutting it off."""
        task = asyncio.current_task()
        if task is not None:
            self.in_flight.add(task)
        try:
            yield
        finally:
            if task is not None:
                self.in_flight.discard(task)


_current: Runtime | None = None


def install(runtime: Runtime) -> None:
    global _current
    _current = runtime


def uninstall() -> None:
    global _current
    _current = None


def current() -> Runtime:
    if _current is None:
        raise RuntimeError("the bot runtime is not installed (jobs run only inside main.serve)")
    return _current
