import asyncio
import logging
import pickle
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import text

from core.reminder_plan import FEEDBACK_CATCH_UP
from database.models import utcnow
from services.scheduling import BookingTimes, CoalescingScheduler, ReminderJobs, create_scheduler
from tests.conftest import eventually, make_settings

H = timedelta(hours=1)


def times(booking_id: int, hours_ahead: float) -> BookingTimes:
    start = utcnow().replace(microsecond=0) + timedelta(hours=hours_ahead)
    return BookingTimes(booking_id, start, start + H, utcnow() - 100 * H)


async def test_scheduling_sqlite_uses_memory_store_with_async_executor(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    scheduler, info = create_scheduler(make_settings(f"sqlite+aiosqlite:///{tmp_path}/x.db"))
    assert info.kind == "memory"
    assert isinstance(scheduler._lookup_jobstore("default"), MemoryJobStore)
    assert isinstance(scheduler._lookup_executor("default"), AsyncIOExecutor)
    assert str(scheduler.timezone) == "UTC"
    assert scheduler._job_defaults["coalesce"] is True
    assert scheduler._job_defaults["max_instances"] == 1
    assert "Job store: memory" in caplog.text


async def test_scheduling_postgres_store_persists_jobs_across_schedulers(postgres_url: str) -> None:
    settings = make_settings(postgres_url)
    first, info = create_scheduler(settings)
    assert info.kind == "postgresql"
    assert isinstance(first._lookup_jobstore("default"), SQLAlchemyJobStore)
    first.start(paused=True)
    jobs = ReminderJobs(first, settings)
    jobs.schedule(times(7, 30))
    jobs.add_sweeps()
    first.shutdown(wait=False)

    second, _ = create_scheduler(settings)
    second.start(paused=True)
    try:
        restored = {job.id: job for job in second.get_jobs()}
        assert {"reminder_7", "feedback_7", "reminder_24h", "reminder_2h", "reminder_1h"} <= restored.keys()
        reminder = restored["reminder_7"]
        assert reminder.func_ref == "services.reminders:send_reminder"
        assert reminder.args == (7,)
        assert reminder.misfire_grace_time == int(timedelta(hours=24).total_seconds())
        assert restored["feedback_7"].misfire_grace_time == int(FEEDBACK_CATCH_UP.total_seconds())
    finally:
        second.shutdown(wait=False)
    engine = create_sync_engine(settings.jobstore_url)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT id, job_state FROM apscheduler_jobs WHERE id = 'reminder_7'")).one()
    engine.dispose()
    state = pickle.loads(stored.job_state)
    assert state["func"] == "services.reminders:send_reminder"
    assert state["args"] == (7,), "only plain ids reach the store"


async def test_scheduling_falls_back_to_memory_when_postgres_store_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    settings = make_settings("postgresql+asyncpg://nobody@127.0.0.1:1/nothing")
    scheduler, info = create_scheduler(settings)
    assert info.kind == "memory"
    assert isinstance(scheduler._lookup_jobstore("default"), MemoryJobStore)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings
    assert "falling back to memory" in warnings[0].getMessage()


@pytest.fixture
async def paused_jobs(tmp_path: Path) -> AsyncIterator[ReminderJobs]:
    """ReminderJobs on a memory store whose scheduler adds and removes jobs but runs none."""
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path}/x.db")
    scheduler, _ = create_scheduler(settings)
    scheduler.start(paused=True)
    yield ReminderJobs(scheduler, settings)
    scheduler.shutdown(wait=False)


async def test_scheduling_reconcile_heals_drift(paused_jobs: ReminderJobs) -> None:
    jobs, scheduler = paused_jobs, paused_jobs.scheduler
    keep, move, add = times(1, 30), times(2, 30), times(3, 30)
    jobs.schedule(keep)
    jobs.schedule(BookingTimes(2, move.starts_at + 5 * H, move.ends_at + 5 * H, move.booked_at))
    jobs.schedule(times(4, 30))  # a booking that no longer exists
    jobs.add_sweeps()
    report = jobs.reconcile([keep, move, add])
    assert (report.kept, report.moved, report.added, report.removed) == (3, 3, 3, 3)
    assert sorted(report.removed_ids) == ["feedback_4", "outcome_4", "reminder_4"]
    assert scheduler.get_job("reminder_2").next_run_time == move.starts_at - 24 * H
    assert scheduler.get_job("reminder_24h") is not None, "sweeps are not booking jobs"
    again = jobs.reconcile([keep, move, add])
    assert (again.kept, again.moved, again.added, again.removed) == (9, 0, 0, 0)


async def test_scheduling_reconcile_leaves_bookings_newer_than_its_snapshot_alone(paused_jobs: ReminderJobs) -> None:
    jobs = paused_jobs
    jobs.schedule(times(4, 30))  # deleted before the snapshot was taken
    jobs.schedule(times(7, 30))  # booked by another process after it
    report = jobs.reconcile([times(1, 30)], newest_booking_id=5)
    assert sorted(report.removed_ids) == ["feedback_4", "outcome_4", "reminder_4"]
    assert jobs.scheduler.get_job("reminder_7") is not None
    assert jobs.scheduler.get_job("feedback_7") is not None


async def test_scheduling_reconcile_leaves_bookings_written_meanwhile_alone(paused_jobs: ReminderJobs) -> None:
    jobs, scheduler = paused_jobs, paused_jobs.scheduler
    for booking_id in (1, 2, 3):
        jobs.schedule(times(booking_id, 30))
    with jobs.noting_writes() as written_meanwhile:
        snapshot = [times(1, 30), times(2, 30), times(3, 40)]
        # While the snapshot is read and applied, the process keeps serving: one client moves their booking
        # earlier, another cancels; each commit's own writes are fresher than the snapshot.
        moved = times(1, 20)
        jobs.schedule(moved)
        jobs.unschedule(2)
        report = jobs.reconcile(snapshot, written_meanwhile=written_meanwhile)
    assert written_meanwhile == {1, 2}
    assert scheduler.get_job("reminder_1").next_run_time == moved.starts_at - 2 * H
    assert scheduler.get_job("reminder_2") is None
    assert scheduler.get_job("feedback_2") is None
    assert scheduler.get_job("reminder_3").next_run_time == snapshot[2].starts_at - 24 * H, "the rest is reconciled"
    assert (report.left_to_writers, report.moved, report.added) == (6, 3, 0)

    jobs.schedule(times(4, 30))
    assert written_meanwhile == {1, 2}, "writes are noted only while reconciling"


@dataclass
class CountedScheduler:
    """A running scheduler on the memory store, counting its passes over the job store."""

    scheduler: AsyncIOScheduler
    jobs: ReminderJobs
    passes: int = 0


@pytest.fixture
async def counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[CountedScheduler]:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path}/x.db")
    scheduler, _ = create_scheduler(settings)
    counted = CountedScheduler(scheduler, ReminderJobs(scheduler, settings))
    process_jobs = scheduler._process_jobs

    def counting() -> float | None:
        counted.passes += 1
        return process_jobs()

    monkeypatch.setattr(scheduler, "_process_jobs", counting)
    scheduler.start()
    await eventually(lambda: counted.passes == 1, what="the scheduler's first pass, at start")
    counted.passes = 0
    yield counted
    scheduler.shutdown(wait=False)


async def test_scheduling_many_job_changes_wake_the_scheduler_once(counted: CountedScheduler) -> None:
    jobs = counted.jobs
    await asyncio.to_thread(lambda: [jobs.schedule(times(n, 30)) for n in range(1, 201)])
    scheduler = counted.scheduler
    assert isinstance(scheduler, CoalescingScheduler)
    await eventually(lambda: not scheduler._wakeup_pending, what="the wake-ups asked for to be served")
    assert len(scheduler.get_jobs()) == 600
    print(f"{counted.passes} passes over the job store for 600 added jobs")
    assert 1 <= counted.passes < 20


async def test_scheduling_job_due_after_the_armed_timer_does_not_read_the_store(counted: CountedScheduler) -> None:
    jobs, scheduler = counted.jobs, counted.scheduler
    assert isinstance(scheduler, CoalescingScheduler)
    await asyncio.to_thread(jobs.retry_reminder, 1)  # due in 30 s: the timer is armed for it
    await eventually(lambda: counted.passes == 1, what="the first job to arm the timer")
    armed = scheduler.get_job("reminder_1").next_run_time

    # A wake-up asked for from the thread is queued on the loop ahead of the thread's result.
    await asyncio.to_thread(jobs.schedule, times(2, 30))  # due in a day or more
    assert counted.passes == 1
    assert scheduler._timer_due is not None
    assert abs(scheduler._timer_due - armed) < timedelta(seconds=1)

    soon = utcnow() + timedelta(seconds=5)
    await asyncio.to_thread(jobs._put_reminder, 3, soon)  # due before the armed timer: must re-arm
    await eventually(lambda: counted.passes == 2, what="a wake-up for the earlier job")
    assert scheduler._timer_due is not None
    assert abs(scheduler._timer_due - soon) < timedelta(seconds=1)


@pytest.mark.parametrize(
    ("hours_ahead", "job_ids"), [(30, {"reminder_9", "feedback_9", "outcome_9"}), (-2, {"feedback_9"}), (-10, set())]
)
async def test_scheduling_jobs_exist_only_for_what_is_still_ahead(
    paused_jobs: ReminderJobs, hours_ahead: float, job_ids: set[str]
) -> None:
    paused_jobs.reconcile([times(9, hours_ahead)])
    assert {job.id for job in paused_jobs.scheduler.get_jobs()} == job_ids


async def test_scheduling_unrestorable_job_is_logged_and_recreated_by_reconcile(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(postgres_url)
    scheduler, _ = create_scheduler(settings)
    scheduler.start(paused=True)
    try:
        jobs = ReminderJobs(scheduler, settings)
        booking = times(5, 30)
        jobs.schedule(booking)
        engine = create_sync_engine(settings.jobstore_url)
        with engine.begin() as connection:  # a deploy renamed the job function
            stored = connection.execute(text("SELECT job_state FROM apscheduler_jobs WHERE id = 'reminder_5'")).one()
            state = pickle.loads(stored.job_state)
            state["func"] = "services.reminders:renamed_send_reminder"
            connection.execute(
                text("UPDATE apscheduler_jobs SET job_state = :state WHERE id = 'reminder_5'"),
                {"state": pickle.dumps(state)},
            )
        engine.dispose()

        report = jobs.reconcile([booking])
        assert "Unable to restore job" in caplog.text
        restored = scheduler.get_job("reminder_5")
        assert restored is not None
        assert restored.func_ref == "services.reminders:send_reminder"
        assert scheduler.get_job("feedback_5") is not None, "the other jobs are untouched"
        assert (report.added, report.kept) == (1, 2)
    finally:
        scheduler.shutdown(wait=False)


async def test_scheduling_jobs_do_not_run_in_the_context_of_whoever_added_them(counted: CountedScheduler) -> None:
    seen: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def job() -> None:
        seen.set_result(ADDED_BY.get())

    ADDED_BY.set("an update")  # as an update's transaction mode would be
    await asyncio.to_thread(counted.scheduler.add_job, job, "date", run_date=utcnow())
    assert await asyncio.wait_for(seen, 5) == "nobody"


ADDED_BY: ContextVar[str] = ContextVar("added_by", default="nobody")
