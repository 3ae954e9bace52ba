"""What scheduler jobs reach at run time.

The persistent job store can pickle only a reference to a job function, never the bot or a
sessionmaker, so `main.py` installs them here at startup: the one module-level registry.
"""

import asyncio
from dataclasses import dataclass, field

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.config import Settings
from services.health import Counters
from services.scheduling import JobStoreInfo, ReminderJobs


@dataclass
class Runtime:
    bot: Bot
    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Settings
    jobs: ReminderJobs
    job_store: JobStoreInfo = field(default_factory=lambda: JobStoreInfo("memory", "not reported"))
    counters: Counters = field(default_factory=Counters)
    in_flight: set[asyncio.Task[object]] = field(default_factory=set)


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
