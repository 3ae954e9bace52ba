"""Scheduler jobs. Module-level coroutines referenced by text, taking plain ids; each opens its own sessions.

Exactly once: a message is claimed in the notification log (unique per booking and kind) in a
committed transaction before it is sent, and stamped sent afterwards. Whoever fires it — the date
job, a sweep, the catch-up at startup, a double fire — only the holder of the claim sends.
"""

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from config import Settings
from core.reminder_plan import (
    CONFIRM_BY_KIND,
    FEEDBACK_CATCH_UP,
    FEEDBACK_KIND,
    due_reminder,
    feedback_at,
    feedback_still_wanted,
)
from database.engine import commit, is_unavailable, reading
from database.models import Booking, BookingStatus, CancelledBy, utcnow
from database.repositories import Bookings, Notifications, Specialists, Users
from services import metrics, outages, runtime, waitlist
from services.admin import AdminService
from services.claims import send_claimed
from services.delivery import DeliveryStatus
from services.messages import Outgoing
from services.scheduling import BookingTimes, JobStoreInfo, ReconcileReport, ReminderJobs

log = logging.getLogger(__name__)

SWEEP_CONCURRENCY = 8
_NOTHING = object()
OUTCOME_KIND_PREFIX = "outcome_"  # and the recipient's id: each is asked once

# (the runtime, the booking, the kind of message, now, whether clients meet several specialists) → the message
Compose = Callable[[runtime.Runtime, Booking, str, datetime, bool], Outgoing]
Pick = Callable[[Booking, datetime, Settings], tuple[str, datetime] | None]


class Outcome(enum.StrEnum):
    SENT = "sent"
    ALREADY = "already"  # sent before, or being sent by someone else right now
    SKIPPED = "skipped"  # nothing due, booking cancelled, or the user blocked the bot
    FAILED = "failed"  # Telegram refused the message
    RETRY = "retry"  # Telegram or the network is down: try again shortly


async def send_reminder(booking_id: int, attempt: int = 0) -> None:
    rt = runtime.current()

    async def send() -> Outcome:
        outcome, sent_for = await _notify_once(rt, booking_id, _due_reminder, _reminder)
        await _follow_booking(rt, booking_id, retry_for=sent_for if outcome is Outcome.RETRY else None)
        return outcome

    await _run_job(
        rt,
        f"Reminder for booking {booking_id}",
        send,
        attempt,
        lambda delay: rt.jobs.retry_reminder(booking_id, delay, attempt + 1),
    )


async def send_feedback_request(booking_id: int, attempt: int = 0) -> None:
    rt = runtime.current()

    async def send() -> Outcome:
        outcome, _ = await _notify_once(rt, booking_id, _due_feedback, _feedback_request)
        if outcome is Outcome.RETRY:
            await asyncio.to_thread(rt.jobs.retry_feedback, booking_id)
        return outcome

    await _run_job(
        rt,
        f"Feedback request for booking {booking_id}",
        send,
        attempt,
        lambda delay: rt.jobs.retry_feedback(booking_id, delay, attempt + 1),
    )


async def ask_visit_outcome(booking_id: int, attempt: int = 0) -> None:
    """As an appointment ends: ask its linked specialist (or, without one, the admins) whether the client came."""
    rt = runtime.current()
    await _run_job(
        rt,
        f"Visit question for booking {booking_id}",
        lambda: _ask_outcome(rt, booking_id),
        attempt,
        lambda delay: rt.jobs.retry_outcome(booking_id, delay, attempt + 1),
    )


async def _ask_outcome(rt: runtime.Runtime, booking_id: int) -> Outcome:
    """Each recipient's question is claimed in the notification log (kind `outcome_<their id>`): asked once."""
    now = utcnow()
    async with rt.sessionmaker() as session:
        booking = await Bookings(session).get(booking_id)
        if booking is None or booking.status not in (BookingStatus.ACTIVE, BookingStatus.COMPLETED):
            return Outcome.SKIPPED
        if booking.visit_recorded_at is not None:
            return Outcome.SKIPPED
        if booking.ends_at > now or now - booking.ends_at > FEEDBACK_CATCH_UP:
            return Outcome.SKIPPED
        own = booking.specialist.telegram_id
        if own is not None:
            recipients = {own}
        else:
            admin = AdminService(session, rt.settings, rt.jobs)
            recipients = await admin.admin_ids() - await admin.quiet_ids()
        recipients.discard(booking.user_id)
        people = {user.id: user for user in await Users(session).many(recipients)}
        several = await Specialists(session).count_active() > 1
        questions = {
            recipient: rt.composer.visit_question(
                booking, people.get(recipient), to_specialist=recipient == own, with_specialist=several
            )
            for recipient in sorted(recipients)
            if recipient not in people or not people[recipient].blocked_bot
        }
    statuses = []
    for recipient, question in questions.items():
        await rt.limiter.acquire()  # before claiming (services.claims)
        async with rt.sessionmaker() as session:
            kind = f"{OUTCOME_KIND_PREFIX}{recipient}"
            claim = await Notifications(session).claim(booking_id, kind, utcnow(), rt.settings.claim_timeout)
            await commit(session)
        if claim is not None:
            delivery, _ = await send_claimed(rt, claim, recipient, question, f"visit question of booking {booking_id}")
            statuses.append(delivery.status)
    if DeliveryStatus.UNAVAILABLE in statuses:
        return Outcome.RETRY
    return Outcome.SENT if DeliveryStatus.SENT in statuses else Outcome.SKIPPED


async def _run_job(
    rt: runtime.Runtime,
    what: str,
    send: Callable[[], Awaitable[Outcome]],
    attempt: int,
    put_back: Callable[[timedelta], None],
) -> None:
    """Run a booking's job, tracked for shutdown; after a database outage it is put back to run again."""
    async with rt.tracked():
        try:
            outcome = await send()
        except Exception as error:
            if not is_unavailable(error):
                raise
            await outages.run_again_later(rt, what, error, attempt, put_back)
            return
        log.info("%s: %s", what, outcome)


async def _follow_booking(rt: runtime.Runtime, booking_id: int, retry_for: BookingTimes | None) -> None:
    """Put the booking's reminder job where the booking, as it is now, wants it.

    Called after a send, which may have waited on Telegram while the booking was moved or cancelled: the
    times read before the send are stale then, and a move or a cancel committed meanwhile must win. The
    booking is read again after each write of its job, so that one whose commit came between that read and
    that write, and whose own writer wrote first, is still followed. `retry_for`: the send failed for this
    booking as it was; if it is still so, the reminder is tried again shortly.
    """
    written: object = _NOTHING
    for _ in range(3):
        async with reading(rt.sessionmaker) as session:
            active = await Bookings(session).active_times(booking_id)
        times = None if active is None else BookingTimes(booking_id, *active)
        if times == written:
            return
        if times is None:
            await asyncio.to_thread(rt.jobs.remove_reminder, booking_id)
        elif times == retry_for:
            await asyncio.to_thread(rt.jobs.retry_reminder, booking_id)
        else:
            await asyncio.to_thread(rt.jobs.schedule_reminder, times)
        written = times


async def sweep(sweep_id: str) -> None:
    """Safety net: send every reminder and feedback request that is due and not yet sent."""
    rt = runtime.current()
    async with rt.tracked():
        now = utcnow()
        horizon = rt.settings.reminder_horizon
        async with rt.sessionmaker() as session:
            bookings = Bookings(session)
            completed = await bookings.complete_ended(now)
            upcoming = await bookings.remindable_starting_between(now, now + horizon)
            feedback_due_by = now - rt.settings.feedback_after
            # One read for both: those owed a feedback request, and those whose visit question may be unasked.
            recent = await bookings.ended_between(feedback_due_by - FEEDBACK_CATCH_UP, now)
            ended = [b for b in recent if b.ends_at <= feedback_due_by]
            just_ended = [b for b in recent if b.ends_at > now - FEEDBACK_CATCH_UP]
            ids = [b.id for b in (*upcoming, *recent)]
            claimed = await Notifications(session).taken(ids, now - rt.settings.claim_timeout)
            await commit(session)
        reminders = [
            b.id for b in upcoming if (due := _due_reminder(b, now, rt.settings)) and (b.id, due[0]) not in claimed
        ]
        feedback = [b.id for b in ended if (b.id, FEEDBACK_KIND) not in claimed]
        asked = {booking_id for booking_id, kind in claimed if kind.startswith(OUTCOME_KIND_PREFIX)}
        questions = [b.id for b in just_ended if b.id not in asked]
        if reminders or feedback or completed:
            log.info(
                "Sweep %s: %d reminders and %d feedback requests due, %d bookings completed",
                sweep_id,
                len(reminders),
                len(feedback),
                completed,
            )
        limit = asyncio.Semaphore(SWEEP_CONCURRENCY)

        async def run(booking_id: int, pick: Pick, compose: Compose) -> Outcome:
            async with limit:
                outcome, _ = await _notify_once(rt, booking_id, pick, compose)
                return outcome

        async def ask(booking_id: int) -> Outcome:
            async with limit:
                return await _ask_outcome(rt, booking_id)

        outcomes = await asyncio.gather(
            *(run(i, _due_reminder, _reminder) for i in reminders),
            *(run(i, _due_feedback, _feedback_request) for i in feedback),
            *(ask(i) for i in questions),
        )
        await waitlist.offer(rt, None)  # a safety net too: offers whose job was lost with a crash
        rt.counters.sweep_ran(sweep_id, now)
        log.info("Sweep %s done: %d messages sent", sweep_id, outcomes.count(Outcome.SENT))


def _reminder(rt: runtime.Runtime, booking: Booking, kind: str, now: datetime, several: bool) -> Outgoing:
    if kind != CONFIRM_BY_KIND:
        return rt.composer.reminder(booking, now, with_specialist=several)
    if rt.settings.release_unconfirmed:
        return rt.composer.released(booking, with_specialist=several)
    return rt.composer.reminder(booking, now, with_specialist=several, last_call=True)


def _feedback_request(rt: runtime.Runtime, booking: Booking, kind: str, now: datetime, several: bool) -> Outgoing:
    return rt.composer.feedback_request(booking)


def _released(booking: Booking) -> bool:
    return booking.status == BookingStatus.CANCELLED and booking.cancelled_by == CancelledBy.RELEASE


def _due_reminder(booking: Booking, now: datetime, settings: Settings) -> tuple[str, datetime] | None:
    if _released(booking) and settings.confirm_by is not None and booking.starts_at > now:
        return CONFIRM_BY_KIND, booking.starts_at - settings.confirm_by  # its message may still be owed
    if booking.status != BookingStatus.ACTIVE:
        return None
    due = due_reminder(booking.starts_at, booking.booked_at, settings.reminders, now, settings.confirm_by)
    if due is None or (due.deadline and booking.confirmed_at is not None):
        return None  # a confirmed booking needs no nudge, and is not released
    return due.kind, due.at


def _due_feedback(booking: Booking, now: datetime, settings: Settings) -> tuple[str, datetime] | None:
    if booking.status in (BookingStatus.CANCELLED, BookingStatus.NO_SHOW):
        return None
    if not feedback_still_wanted(booking.ends_at, settings.feedback_after, now):
        return None
    return FEEDBACK_KIND, feedback_at(booking.ends_at, settings.feedback_after)


async def reconcile(
    sessionmaker: async_sessionmaker[AsyncSession], jobs: ReminderJobs, store: JobStoreInfo
) -> ReconcileReport:
    """Make the job store match the bookings table (at every start, and when taking over the scheduler)."""
    now = utcnow()
    with jobs.noting_writes() as written_meanwhile:
        async with sessionmaker() as session:
            bookings = Bookings(session)
            newest = await bookings.newest_id()  # first: a booking made after it is in `rows` or left alone
            rows = await bookings.pending_times(now - jobs.settings.feedback_after)
            times = [BookingTimes(*row) for row in rows]
        # Thousands of job-store round trips: in a worker thread, so updates keep being served meanwhile.
        report = await asyncio.to_thread(jobs.reconcile, times, now, newest, written_meanwhile)
    log.info(
        "Reconciled %s job store with %d bookings: %d kept, %d added, %d moved, %d removed, %d changed meanwhile",
        store.kind,
        report.bookings,
        report.kept,
        report.added,
        report.moved,
        report.removed,
        report.left_to_writers,
    )
    return report


async def renew_claims() -> int:
    """On taking charge of the scheduler: claims that no one stamped sent are in doubt.

    Their sender stopped (or lost the database) after claiming — perhaps after Telegram accepted the
    message, perhaps before it was sent. A fresh lease gives a sender that is still alive the whole claim
    timeout to record its outcome; after that the caller's follow-up catch-up sends what is still unsent.
    """
    rt = runtime.current()
    async with rt.sessionmaker() as session:
        renewed = await Notifications(session).renew_unsent(utcnow())
        await commit(session)
    return renewed


async def _notify_once(
    rt: runtime.Runtime, booking_id: int, pick: Pick, compose: Compose
) -> tuple[Outcome, BookingTimes | None]:
    # Queue for a send slot before claiming: a claim then lives only as long as the request itself,
    # so a crash leaves in doubt only the messages that were really on their way to Telegram.
    await rt.limiter.acquire()
    now = utcnow()
    async with rt.sessionmaker() as session:
        booking = await Bookings(session).get(booking_id)
        if booking is None or (booking.status == BookingStatus.CANCELLED and not _released(booking)):
            return Outcome.SKIPPED, None
        times = BookingTimes.of(booking)
        due = pick(booking, now, rt.settings)
        if due is None or booking.user.blocked_bot:
            return Outcome.SKIPPED, times
        kind, due_at = due
        if kind == FEEDBACK_KIND and booking.status == BookingStatus.ACTIVE:
            booking.status = BookingStatus.COMPLETED
        notifications = Notifications(session)
        claim = await notifications.claim(booking.id, kind, now, rt.settings.claim_timeout)
        if claim is not None and kind == CONFIRM_BY_KIND and rt.settings.release_unconfirmed and not _released(booking):
            # In the claim's transaction: the release and its message to the client go together, once.
            if not await Bookings(session).release_unconfirmed(booking.id, now):
                await notifications.release(claim)  # confirmed at the last moment
                await commit(session)
                return Outcome.SKIPPED, times
            await commit(session)
            await _after_release(rt, booking)
        await commit(session)
        if claim is None:
            return Outcome.ALREADY, times
        several = await Specialists(session).count_active() > 1
        message = compose(rt, booking, kind, now, several)
        chat_id = booking.user_id

    delivery, sent_at = await send_claimed(rt, claim, chat_id, message, f"{kind} of booking {booking_id}")
    if delivery.status is DeliveryStatus.SENT and kind != FEEDBACK_KIND:
        rt.counters.reminder_sent(due_at, sent_at)
        metrics.REMINDER_LATENESS.observe((sent_at - due_at).total_seconds())
    outcome = {
        DeliveryStatus.SENT: Outcome.SENT,
        DeliveryStatus.BLOCKED: Outcome.SKIPPED,
        DeliveryStatus.REJECTED: Outcome.FAILED,
        DeliveryStatus.UNAVAILABLE: Outcome.RETRY,
    }[delivery.status]
    metrics.MESSAGES.labels(kind="feedback" if kind == FEEDBACK_KIND else "reminder", outcome=outcome).inc()
    return outcome, times


async def _after_release(rt: runtime.Runtime, booking: Booking) -> None:
    log.info("Booking %s released: not confirmed %s before its start", booking.id, rt.settings.confirm_by)
    metrics.BOOKINGS_CANCELLED.labels(by="release").inc()
    day = rt.settings.schedule.local_date(booking.starts_at)
    await asyncio.to_thread(rt.jobs.announce, "released", booking.id)
    await asyncio.to_thread(rt.jobs.offer_waitlist, [day])
