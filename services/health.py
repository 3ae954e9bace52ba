"""What an operator asks of a running bot: is it healthy, and what has it done since it started."""

import statistics
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING, BaseScheduler
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from services.runtime import Runtime

JobKind = Literal["reminder", "feedback", "sweep", "other"]
SWEEP_IDS = ("reminder_24h", "reminder_2h", "reminder_1h", "catch_up", "in_doubt")
JOB_EVENTS = EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED


SchedulerRole = Literal["running", "standby", "stopped"]


def scheduler_role(scheduler: BaseScheduler) -> SchedulerRole:
    """Running here; standing by (paused: another process runs the shared store's jobs); or stopped."""
    if scheduler.state == STATE_RUNNING:
        return "running"
    return "standby" if scheduler.state == STATE_PAUSED else "stopped"


def job_kind(job_id: str) -> JobKind:
    if job_id in SWEEP_IDS:
        return "sweep"
    prefix, _, rest = job_id.partition("_")
    if rest.isdigit() and prefix in ("reminder", "feedback"):
        return prefix  # type: ignore[return-value]
    return "other"


@dataclass
class Counters:
    started: float = field(default_factory=time.monotonic)
    executed: int = 0
    failed: int = 0
    missed: int = 0
    reminders_sent: int = 0
    lateness: deque[float] = field(default_factory=lambda: deque(maxlen=1000))
    last_sweeps: dict[str, datetime] = field(default_factory=dict)

    def on_job_event(self, event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_EXECUTED:
            self.executed += 1
        elif event.code == EVENT_JOB_ERROR:
            self.failed += 1
        elif event.code == EVENT_JOB_MISSED:
            self.missed += 1

    def reminder_sent(self, due_at: datetime, sent_at: datetime) -> None:
        self.reminders_sent += 1
        self.lateness.append((sent_at - due_at).total_seconds())

    def sweep_ran(self, sweep_id: str, at: datetime) -> None:
        self.last_sweeps[sweep_id] = at

    @property
    def uptime(self) -> timedelta:
        return timedelta(seconds=int(time.monotonic() - self.started))


@dataclass(frozen=True)
class HealthReport:
    database_ms: float | None
    database_error: str | None
    job_store_ok: bool
    job_store_error: str | None
    scheduler: SchedulerRole
    counters: Counters

    @property
    def healthy(self) -> bool:
        return self.database_error is None and self.job_store_ok and self.scheduler != "stopped"

    def as_text(self, tz: ZoneInfo) -> dict[str, object]:
        c = self.counters
        lateness = sorted(c.lateness)
        sweeps = ", ".join(f"{name} {at.astimezone(tz):%d.%m %H:%M}" for name, at in sorted(c.last_sweeps.items()))
        return {
            "db": f"✅ {self.database_ms:.1f} ms" if self.database_error is None else f"❌ {self.database_error}",
            "store": "✅" if self.job_store_ok else f"❌ {self.job_store_error}",
            "scheduler": {"running": "✅", "standby": "✅ standby", "stopped": "❌"}[self.scheduler],
            "uptime": str(c.uptime),
            "executed": c.executed,
            "failed": c.failed,
            "missed": c.missed,
            "sent": c.reminders_sent,
            "p50": f"{statistics.median(lateness):.2f}s" if lateness else "—",
            "max": f"{lateness[-1]:.2f}s" if lateness else "—",
            "sweeps": sweeps or "—",
        }


async def check(rt: "Runtime", session: AsyncSession | None = None) -> HealthReport:
    """Pass the caller's session when there is one: on SQLite a second transaction would wait for its lock."""
    database_ms, database_error = None, None
    started = time.perf_counter()
    try:
        if session is not None:
            await session.execute(text("SELECT 1"))
        else:
            async with rt.sessionmaker() as own:
                await own.execute(text("SELECT 1"))
        database_ms = (time.perf_counter() - started) * 1000
    except Exception as error:
        database_error = _first_line(error)
    store_ok, store_error = True, None
    try:
        rt.jobs.scheduler._lookup_jobstore("default").get_next_run_time()
    except Exception as error:
        store_ok, store_error = False, _first_line(error)
    role = scheduler_role(rt.jobs.scheduler)
    return HealthReport(database_ms, database_error, store_ok, store_error, role, rt.counters)


def _first_line(error: Exception) -> str:
    message = str(error).strip()
    return message.splitlines()[0][:200] if message else type(error).__name__
