import contextvars
import logging
import re
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Literal
from uuid import uuid4

import sqlalchemy
from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.jobstores.base import BaseJobStore, JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from config import Settings
from core.reminder_plan import FEEDBACK_CATCH_UP, feedback_at, next_reminder

JOBS_CHANGED = "booking_bot_jobs_changed"

if TYPE_CHECKING:
    from database.models import Booking

log = logging.getLogger(__name__)

JOBS_TABLE = "apscheduler_jobs"
REMINDER_JOB = "services.reminders:send_reminder"
FEEDBACK_JOB = "services.reminders:send_feedback_request"
OUTCOME_JOB = "services.reminders:ask_visit_outcome"
SWEEP_JOB = "services.reminders:sweep"
ADMIN_EVENT_JOB = "services.admin_events:notify_admins"
BROADCAST_JOB = "services.broadcast:run_broadcast"
WAITLIST_JOB = "services.waitlist:offer_freed_times"
SWEEP_GRACE = timedelta(minutes=30)
RETRY_DELAY = timedelta(seconds=30)
_BOOKING_JOB_ID = re.compile(r"^(reminder|feedback|outcome)_(\d+)$")


@dataclass(frozen=True, slots=True)
class JobStoreInfo:
    kind: Literal["postgresql", "memory"]
    reason: str

    @property
    def persistent(self) -> bool:
        return self.kind == "postgresql"


@dataclass(frozen=True, slots=True)
class BookingTimes:
    """What the scheduler needs of a booking: plain values, safe to hold after the session is gone."""

    booking_id: int
    starts_at: datetime
    ends_at: datetime
    booked_at: datetime

    @classmethod
    def of(cls, booking: "Booking") -> "BookingTimes":
        return cls(booking.id, booking.starts_at, booking.ends_at, booking.booked_at)


@dataclass(slots=True)
class ReconcileReport:
    bookings: int = 0
    kept: int = 0
    added: int = 0
    moved: int = 0
    removed: int = 0
    left_to_writers: int = 0  # written meanwhile by the booking's own writers, from fresher data
    removed_ids: list[str] = field(default_factory=list)


class CoalescingScheduler(AsyncIOScheduler):
    """An AsyncIOScheduler that reads its job store on the event loop only when it has to.

    Every added job asks for a wake-up, and each wake-up reads the job store on the event loop. Wake-ups
    asked for in a burst run once (a reconcile adds thousands of jobs), and a job added with
    `adding_job_due` asks for none when the timer already set fires no later than the job is due: a
    booking's reminder, hours away, does not make every booking read the store.
    """

    _wakeup_pending = False
    _processing = False
    _timer_due: datetime | None = None  # when the armed timer fires; None: no timer armed
    _adding = threading.local()

    @contextmanager
    def adding_job_due(self, at: datetime) -> Iterator[None]:
        self._adding.due = at
        try:
            yield
        finally:
            self._adding.due = None

    def wakeup(self) -> None:
        due: datetime | None = getattr(self._adding, "due", None)
        timer_due = self._timer_due
        # While the store is being read, the reading may have missed this job: it must wake up again.
        if due is not None and timer_due is not None and due >= timer_due and not self._processing:
            return
        if self._wakeup_pending:
            return
        self._wakeup_pending = True
        # In a context of its own: the jobs this pass starts must not inherit the caller's (an update's
        # transaction mode, say).
        self._eventloop.call_soon_threadsafe(self._wake, context=contextvars.Context())

    def _wake(self) -> None:
        self._wakeup_pending = False  # before processing: a job added meanwhile asks for a fresh wake-up
        self._processing = True
        try:
            self._stop_timer()
            # Taken before the pass reads the clock: the time computed is then never after the next job is due,
            # so jobs due at the same moment as the one the timer is for ask for no wake-up of their own.
            started = datetime.now(UTC)
            wait_seconds = self._process_jobs()
            self._start_timer(wait_seconds)
            self._timer_due = None if wait_seconds is None else started + timedelta(seconds=wait_seconds)
        finally:
            self._processing = False  # only once the new timer is known


def _expecting_job_due(scheduler: AsyncIOScheduler, at: datetime) -> AbstractContextManager[None]:
    return scheduler.adding_job_due(at) if isinstance(scheduler, CoalescingScheduler) else nullcontext()


def create_scheduler(settings: Settings) -> tuple[AsyncIOScheduler, JobStoreInfo]:
    store, info = _create_job_store(settings)
    scheduler = CoalescingScheduler(
        jobstores={"default": store},
        executors={"default": AsyncIOExecutor()},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        timezone=UTC,
    )
    log.info("Job store: %s — %s", info.kind, info.reason)
    return scheduler, info


def _create_job_store(settings: Settings) -> tuple[BaseJobStore, JobStoreInfo]:
    if settings.db_kind == "sqlite":
        return MemoryJobStore(), JobStoreInfo(
            "memory",
            "DATABASE_URL is SQLite; jobs live in memory and are rebuilt from the bookings table at every start",
        )
    try:
        engine = sqlalchemy.create_engine(settings.jobstore_url, pool_pre_ping=True)
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text("SELECT 1"))
    except Exception as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        log.warning(
            "PostgreSQL job store unavailable (%s); falling back to memory: jobs are rebuilt "
            "from the bookings table at every start",
            reason,
        )
        return MemoryJobStore(), JobStoreInfo("memory", f"PostgreSQL job store failed: {reason}")
    return SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE), JobStoreInfo(
        "postgresql", f"persistent, table {JOBS_TABLE} in the bot's PostgreSQL database"
    )


def _booking_of(job_id: str) -> int | None:
    match = _BOOKING_JOB_ID.match(job_id)
    return None if match is None else int(match[2])


def _newer_than(job_id: str, newest_booking_id: int | None) -> bool:
    booking_id = _booking_of(job_id)
    return newest_booking_id is not None and booking_id is not None and booking_id > newest_booking_id


def _attempt(attempt: int) -> dict[str, int] | None:
    # Only a retry after a database outage carries its count: every other job keeps the arguments that jobs
    # stored by earlier versions have.
    return {"attempt": attempt} if attempt else None


def reminder_job_id(booking_id: int) -> str:
    return f"reminder_{booking_id}"


def feedback_job_id(booking_id: int) -> str:
    return f"feedback_{booking_id}"


def outcome_job_id(booking_id: int) -> str:
    return f"outcome_{booking_id}"


class ReminderJobs:
    """The scheduler's view of bookings: which `reminder_<id>` / `feedback_<id>` / `outcome_<id>` jobs exist, and
    when (the last asks, as the appointment ends, whether the client came)."""

    def __init__(self, scheduler: AsyncIOScheduler, settings: Settings) -> None:
        self.scheduler = scheduler
        self.settings = settings
        self.reminder_grace = settings.reminder_horizon or timedelta(hours=1)
        store = scheduler._jobstores.get("default")
        self._shared_store = store.engine if isinstance(store, SQLAlchemyJobStore) else None
        # Signs this process's NOTIFYs, so that the process running the scheduler can ignore its own.
        self.sender_id = uuid4().hex
        # Held while a booking's jobs are written, by its own writers and by a reconcile in progress.
        self._writing = threading.RLock()
        self._noting: list[set[int]] = []

    def schedule(self, times: BookingTimes, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        with self._writing_jobs_of(times.booking_id):
            self.schedule_reminder(times, now, notify=False)
            self.schedule_feedback(times, now, notify=False)
            self.schedule_outcome(times, now, notify=False)
        self._changed()

    def schedule_reminder(self, times: BookingTimes, now: datetime | None = None, *, notify: bool = True) -> None:
        now = now or datetime.now(UTC)
        upcoming = next_reminder(
            times.starts_at, times.booked_at, self.settings.reminders, now, self.settings.confirm_by
        )
        with self._writing_jobs_of(times.booking_id):
            if upcoming is None:
                self._remove(reminder_job_id(times.booking_id))
            else:
                self._put_reminder(times.booking_id, upcoming.at, notify=notify)

    def schedule_feedback(self, times: BookingTimes, now: datetime | None = None, *, notify: bool = True) -> None:
        now = now or datetime.now(UTC)
        at = feedback_at(times.ends_at, self.settings.feedback_after)
        with self._writing_jobs_of(times.booking_id):
            if at > now:
                self._put_feedback(times.booking_id, at, notify=notify)
            else:
                self._remove(feedback_job_id(times.booking_id))

    def schedule_outcome(self, times: BookingTimes, now: datetime | None = None, *, notify: bool = True) -> None:
        now = now or datetime.now(UTC)
        with self._writing_jobs_of(times.booking_id):
            if times.ends_at > now:
                self._put_outcome(times.booking_id, times.ends_at, notify=notify)
            else:
                self._remove(outcome_job_id(times.booking_id))

    def retry_outcome(self, booking_id: int, delay: timedelta = RETRY_DELAY, attempt: int = 0) -> None:
        with self._writing_jobs_of(booking_id):
            self._put_outcome(booking_id, datetime.now(UTC) + delay, attempt=attempt)

    def retry_reminder(self, booking_id: int, delay: timedelta = RETRY_DELAY, attempt: int = 0) -> None:
        """Try the booking's due reminder again after `delay`; `attempt` counts database outages met so far."""
        with self._writing_jobs_of(booking_id):
            self._put_reminder(booking_id, datetime.now(UTC) + delay, attempt=attempt)

    def retry_feedback(self, booking_id: int, delay: timedelta = RETRY_DELAY, attempt: int = 0) -> None:
        with self._writing_jobs_of(booking_id):
            self._put_feedback(booking_id, datetime.now(UTC) + delay, attempt=attempt)

    def remove_reminder(self, booking_id: int) -> None:
        with self._writing_jobs_of(booking_id):
            self._remove(reminder_job_id(booking_id))

    def announce(self, event: str, booking_id: int, delay: timedelta | None = None, attempt: int = 0) -> None:
        """Tell admins about a client's action, from the scheduler so that a restart does not lose it."""
        self.scheduler.add_job(
            ADMIN_EVENT_JOB,
            trigger=None if delay is None else DateTrigger(run_date=datetime.now(UTC) + delay, timezone=UTC),
            args=[event, booking_id],
            kwargs=_attempt(attempt),
            name=f"admin notice: {event} booking {booking_id}",
            misfire_grace_time=int(timedelta(hours=1).total_seconds()),
        )
        self._changed()

    def offer_waitlist(self, days: Sequence[date] | None) -> None:
        """Offer freed time on these days (None: any) to those waiting, from the scheduler so that a restart
        does not lose it. No job id: a second freeing while the first job runs must not be dropped."""
        self.scheduler.add_job(
            WAITLIST_JOB,
            args=[None if days is None else sorted({day.isoformat() for day in days})],
            name="waitlist offers",
            misfire_grace_time=int(timedelta(hours=1).total_seconds()),
        )
        self._changed()

    def run_broadcast(self, broadcast_id: int) -> None:
        """In PostgreSQL mode the job outlives a crash; startup re-adds it for unfinished broadcasts anyway."""
        self.scheduler.add_job(
            BROADCAST_JOB,
            args=[broadcast_id],
            id=f"broadcast_{broadcast_id}",
            name=f"broadcast {broadcast_id}",
            replace_existing=True,
            misfire_grace_time=int(timedelta(days=1).total_seconds()),
        )
        self._changed()

    def catch_up(self) -> None:
        """Send at once whatever fell due while no scheduler was running."""
        self._sweep_once("catch_up", datetime.now(UTC))

    def retry_in_doubt(self, after: timedelta) -> None:
        """Send, once their claims have expired, the messages whose sender stopped mid-send."""
        self._sweep_once("in_doubt", datetime.now(UTC) + after)

    def _sweep_once(self, sweep_id: str, at: datetime) -> None:
        # Added by the process taking charge of the scheduler, whose own scheduler wakes for it: no NOTIFY.
        self.scheduler.add_job(
            SWEEP_JOB,
            trigger=DateTrigger(run_date=at, timezone=UTC),
            args=[sweep_id],
            id=sweep_id,
            replace_existing=True,
            misfire_grace_time=int(timedelta(hours=1).total_seconds()),
        )

    def unschedule(self, booking_id: int) -> None:
        with self._writing_jobs_of(booking_id):
            self._remove(reminder_job_id(booking_id))
            self._remove(feedback_job_id(booking_id))
            self._remove(outcome_job_id(booking_id))

    @contextmanager
    def _writing_jobs_of(self, booking_id: int) -> Iterator[None]:
        with self._writing:
            for written in self._noting:
                written.add(booking_id)
            yield

    @contextmanager
    def noting_writes(self) -> Iterator[set[int]]:
        """The bookings whose jobs are written from now on, by their own writers; for a reconcile to leave alone.

        Those writes follow commits made while the reconcile's snapshot was being taken or after it: they are
        at least as recent as the snapshot, and the reconcile must not undo them (the process serves updates
        while it reconciles).
        """
        written: set[int] = set()
        with self._writing:
            self._noting.append(written)
        try:
            yield written
        finally:
            with self._writing:
                self._noting.remove(written)

    def add_sweeps(self) -> None:
        tz = self.settings.timezone
        at = self.settings.sweep_24h_at
        sweeps = {
            "reminder_24h": CronTrigger(hour=at.hour, minute=at.minute, timezone=tz),
            "reminder_2h": IntervalTrigger(hours=2, timezone=UTC),
            "reminder_1h": IntervalTrigger(hours=1, timezone=UTC),
        }
        for job_id, trigger in sweeps.items():
            self.scheduler.add_job(
                SWEEP_JOB,
                trigger=trigger,
                id=job_id,
                name=f"sweep {job_id}",
                args=[job_id],
                replace_existing=True,
                misfire_grace_time=int(SWEEP_GRACE.total_seconds()),
            )

    def reconcile(
        self,
        bookings: Iterable[BookingTimes],
        now: datetime | None = None,
        newest_booking_id: int | None = None,
        written_meanwhile: Collection[int] = (),
    ) -> ReconcileReport:
        """Make the booking jobs exactly what the bookings table says they should be.

        `bookings` is a snapshot; `newest_booking_id` is the highest id the table had when it was taken. Other
        processes keep taking bookings meanwhile, and the jobs of those newer bookings are left alone, as are
        those of `written_meanwhile` (see `noting_writes`), checked as each job is written.
        """
        now = now or datetime.now(UTC)
        wanted: dict[str, tuple[int, datetime]] = {}
        wanted_bookings = list(bookings)
        for times in wanted_bookings:
            upcoming = next_reminder(
                times.starts_at, times.booked_at, self.settings.reminders, now, self.settings.confirm_by
            )
            if upcoming is not None:
                wanted[reminder_job_id(times.booking_id)] = (times.booking_id, upcoming.at)
            at = feedback_at(times.ends_at, self.settings.feedback_after)
            if at > now:
                wanted[feedback_job_id(times.booking_id)] = (times.booking_id, at)
            if times.ends_at > now:
                wanted[outcome_job_id(times.booking_id)] = (times.booking_id, times.ends_at)

        report = ReconcileReport(bookings=len(wanted_bookings))
        existing = {job.id: job for job in self.scheduler.get_jobs() if _BOOKING_JOB_ID.match(job.id)}
        for job_id in existing:
            if job_id not in wanted and not _newer_than(job_id, newest_booking_id):
                with self._writing:
                    if _booking_of(job_id) in written_meanwhile:
                        report.left_to_writers += 1
                        continue
                    self._remove(job_id)
                report.removed += 1
                report.removed_ids.append(job_id)
        for job_id, (booking_id, at) in wanted.items():
            job = existing.get(job_id)
            if job is not None and job.next_run_time == at:
                report.kept += 1
                continue
            with self._writing:
                if booking_id in written_meanwhile:
                    report.left_to_writers += 1
                    continue
                put = {"reminder": self._put_reminder, "feedback": self._put_feedback, "outcome": self._put_outcome}
                put[job_id.split("_", 1)[0]](booking_id, at, notify=False)
            if job is None:
                report.added += 1
            else:
                report.moved += 1
        if report.added or report.moved:
            self._changed()  # once, not per job: thousands of them at a takeover
        return report

    def _put_reminder(self, booking_id: int, at: datetime, *, notify: bool = True, attempt: int = 0) -> None:
        job_id = reminder_job_id(booking_id)
        self._put(REMINDER_JOB, job_id, "reminder", booking_id, at, self.reminder_grace, notify, attempt)

    def _put_feedback(self, booking_id: int, at: datetime, *, notify: bool = True, attempt: int = 0) -> None:
        job_id = feedback_job_id(booking_id)
        self._put(FEEDBACK_JOB, job_id, "feedback request", booking_id, at, FEEDBACK_CATCH_UP, notify, attempt)

    def _put_outcome(self, booking_id: int, at: datetime, *, notify: bool = True, attempt: int = 0) -> None:
        job_id = outcome_job_id(booking_id)
        self._put(OUTCOME_JOB, job_id, "visit question", booking_id, at, FEEDBACK_CATCH_UP, notify, attempt)

    def _put(
        self,
        func: str,
        job_id: str,
        what: str,
        booking_id: int,
        at: datetime,
        grace: timedelta,
        notify: bool,
        attempt: int = 0,
    ) -> None:
        with _expecting_job_due(self.scheduler, at):
            self.scheduler.add_job(
                func,
                trigger=DateTrigger(run_date=at, timezone=UTC),
                id=job_id,
                name=f"{what} for booking {booking_id}",
                args=[booking_id],
                kwargs=_attempt(attempt),
                replace_existing=True,
                misfire_grace_time=int(grace.total_seconds()),
            )
        if notify:
            self._changed()

    def _changed(self) -> None:
        # The process running the scheduler may be another one, asleep until the next run time it knows.
        if self._shared_store is not None:
            with self._shared_store.begin() as connection:
                connection.execute(
                    sqlalchemy.text("SELECT pg_notify(:channel, :sender)"),
                    {"channel": JOBS_CHANGED, "sender": self.sender_id},
                )

    def _remove(self, job_id: str) -> None:
        with suppress(JobLookupError):
            self.scheduler.remove_job(job_id)
