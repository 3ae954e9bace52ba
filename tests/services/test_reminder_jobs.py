import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.reminder_plan import next_reminder
from database.models import Booking, BookingStatus, Notification, User, utcnow
from database.repositories import Claim, Notifications
from emulator import BotApiEmulator
from services import outages, reminders, runtime
from services.booking import BookingService
from tests.conftest import eventually
from tests.postgres_server import PostgresServer
from tests.services.conftest import BookingFactory, UnitOfWork, UserFactory

H = timedelta(hours=1)


async def sent_kinds(sessionmaker: async_sessionmaker[AsyncSession], booking_id: int) -> list[str]:
    async with sessionmaker() as session:
        rows = await session.scalars(
            select(Notification.kind).where(Notification.booking_id == booking_id, Notification.sent_at.is_not(None))
        )
        return sorted(rows)


async def test_reminder_jobs_concurrent_fires_send_once(
    stub: BotApiEmulator,
    installed_runtime: runtime.Runtime,
    add_user: UserFactory,
    add_booking: BookingFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    user = await add_user(1)
    booking = await add_booking(user, utcnow() + 90 * timedelta(minutes=1), booked_at=utcnow() - 48 * H)
    await asyncio.gather(
        reminders.send_reminder(booking),
        reminders.send_reminder(booking),
        reminders.sweep("reminder_1h"),
        reminders.sweep("reminder_2h"),
    )
    texts = [m.text for m in stub.messages_to(user)]
    assert len(texts) == 1, texts
    assert "Reminder" in texts[0]
    assert "Haircut <b>&" in texts[0], "the service name arrives escaped and intact"
    assert await sent_kinds(sessionmaker, booking) == ["reminder_2h"]


async def test_reminder_jobs_move_to_the_next_offset_after_sending(
    stub: BotApiEmulator,
    installed_runtime: runtime.Runtime,
    add_user: UserFactory,
    add_booking: BookingFactory,
) -> None:
    user = await add_user(1)
    start = utcnow() + 20 * H
    booking = await add_booking(user, start, booked_at=utcnow() - 48 * H)
    await reminders.send_reminder(booking)
    assert "tomorrow" in stub.messages_to(user)[0].text or "today" in stub.messages_to(user)[0].text
    job = installed_runtime.jobs.scheduler.get_job(f"reminder_{booking}")
    assert job is not None
    assert job.next_run_time == start - 2 * H


async def test_reminder_jobs_sweep_sends_only_the_most_recent_due_offset(
    stub: BotApiEmulator,
    installed_runtime: runtime.Runtime,
    add_user: UserFactory,
    add_booking: BookingFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    user = await add_user(1)
    booking = await add_booking(user, utcnow() + H, booked_at=utcnow() - 72 * H)
    await reminders.sweep("catch_up")
    await reminders.sweep("catch_up")
    messages = stub.messages_to(user)
    assert len(messages) == 1
    assert "today at" in messages[0].text or "tomorrow at" in messages[0].text
    assert await sent_kinds(sessionmaker, booking) == ["reminder_2h"], "the stale 24h reminder is never sent"


async def test_reminder_jobs_skip_cancelled_and_started_bookings(
    stub: BotApiEmulator,
    installed_runtime: runtime.Runtime,
    add_user: UserFactory,
    add_booking: BookingFactory,
) -> None:
    user = await add_user(1)
    cancelled = await add_booking(user, utcnow() + H, booked_at=utcnow() - 72 * H, status=BookingStatus.CANCELLED)
    started = await add_booking(user, utcnow() - 10 * timedelta(minutes=1), booked_at=utcnow() - 72 * H)
    await reminders.send_reminder(cancelled)
    await reminders.send_reminder(started)
    await reminders.sweep("catch_up")
    assert stub.messages_to(user) == []


async def test_reminder_jobs_feedback_request_has_rating_buttons_and_marks_completed(
    stub: BotApiEmulator,
    installed_runtime: runtime.Runtime,
    add_user: UserFactory,
    add_booking: BookingFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    user = await add_user(1, language="ru")
    recent = await add_booking(user, utcnow() - 4 * H)
    ancient = await add_booking(user, utcnow() - 80 * H)
    await reminders.send_feedback_request(recent)
    await reminders.send_feedback_request(recent)
    await reminders.send_feedback_request(ancient)
    messages = stub.messages_to(user)
    assert len(messages) == 1
    assert "Как прошёл визит" in messages[0].text
    assert [b["text"][0] for b in messages[0].buttons()] == ["1", "2", "3", "4", "5"]
    async with sessionmaker() as session:
        assert (await session.get(Booking, recent)).status == BookingStatus.COMPLETED  # type: ignore[union-attr]


async def test_reminder_jobs_blocked_user_is_marked_and_not_retried(
    stub: BotApiEmulator,
    installed_runtime: runtime.Runtime,
    add_user: UserFactory,
    add_booking: BookingFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    user = await add_user(1)
    booking = await add_booking(user, utcnow() + H, booked_at=utcnow() - 72 * H)
    stub.blocked.add(user)
    await reminders.send_reminder(booking)
    await reminders.sweep("catch_up")
    assert stub.calls["sendMessage"] == 1
    async with sessionmaker() as session:
        assert (await session.get(User, user)).blocked_bot  # type: ignore[union-attr]
    assert await sent_kinds(sessionmaker, booking) == [], "only messages that went out are logged"


async def test_reminder_jobs_flood_limit_is_waited_out(
    stub: BotApiEmulator,
    installed_runtime: runtime.Runtime,
    add_user: UserFactory,
    add_booking: BookingFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    user = await add_user(1)
    booking = await add_booking(user, utcnow() + H, booked_at=utcnow() - 72 * H)
    stub.fail("sendMessage", code=429, retry_after=1, times=2, chat_id=user)
    started = asyncio.get_running_loop().time()
    await reminders.send_reminder(booking)
    assert asyncio.get_running_loop().time() - started >= 2, "waited retry_after twice"
    assert [e[1] for e in stub.errors] == [429, 429]
    assert len(stub.messages_to(user)) == 1
    assert await sent_kinds(sessionmaker, booking) == ["reminder_2h"]


async def test_reminder_jobs_telegram_outage_is_retried_later_not_lost(
    stub: BotApiEmulator,
    installed_runtime: runtime.Runtime,
    add_user: UserFactory,
    add_booking: BookingFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    user = await add_user(1)
    booking = await add_booking(user, utcnow() + H, booked_at=utcnow() - 72 * H)
    stub.fail("sendMessage", code=502, times=10)
    await reminders.send_reminder(booking)
    assert stub.messages_to(user) == []
    retry = installed_runtime.jobs.scheduler.get_job(f"reminder_{booking}")
    assert retry is not None
    assert retry.next_run_time - utcnow() < 2 * timedelta(minutes=1)
    stub.faults.clear()
    await reminders.send_reminder(booking)
    assert len(stub.messages_to(user)) == 1
    assert await sent_kinds(sessionmaker, booking) == ["reminder_2h"]


async def test_notifications_claim_is_exclusive_and_stale_claims_are_taken_over(
    sessionmaker: async_sessionmaker[AsyncSession],
    add_user: UserFactory,
    add_booking: BookingFactory,
) -> None:
    user = await add_user(1)
    booking = await add_booking(user, utcnow() + H)
    timeout = timedelta(minutes=10)

    async def claim(at_offset: timedelta = timedelta(0)) -> Claim | None:
        async with sessionmaker() as session:
            claimed = await Notifications(session).claim(booking, "reminder_2h", utcnow() + at_offset, timeout)
            await session.commit()
            return claimed

    tokens = await asyncio.gather(*(claim() for _ in range(6)))
    winners = [t for t in tokens if t]
    assert len(winners) == 1
    assert await claim(timeout / 2) is None, "a fresh claim is respected"
    taken_over = await claim(timeout * 2)
    assert taken_over is not None, "a claim whose sender died is taken over"
    async with sessionmaker() as session:
        await Notifications(session).mark_sent(taken_over, 1, utcnow())
        await session.commit()
    assert await claim(timeout * 10) is None, "a sent message is never claimed again"


async def test_reminder_jobs_claim_left_by_a_stopped_sender_is_renewed_then_retried(
    stub: BotApiEmulator,
    installed_runtime: runtime.Runtime,
    add_user: UserFactory,
    add_booking: BookingFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    user = await add_user(1)
    booking = await add_booking(user, utcnow() + H, booked_at=utcnow() - 72 * H)
    async with sessionmaker() as session:  # claimed long ago by a sender that never reported back
        session.add(Notification(booking_id=booking, kind="reminder_2h", claimed_at=utcnow() - H, claim_token="gone"))
        await session.commit()

    assert await reminders.renew_claims() == 1
    await reminders.sweep("catch_up")
    assert stub.messages_to(user) == [], "a renewed claim gives its sender the whole timeout to report"

    async with sessionmaker() as session:  # the timeout passes
        expired = utcnow() - installed_runtime.settings.claim_timeout - timedelta(seconds=1)
        await session.execute(update(Notification).values(claimed_at=expired))
        await session.commit()
    await reminders.sweep("in_doubt")
    assert len(stub.messages_to(user)) == 1
    assert await sent_kinds(sessionmaker, booking) == ["reminder_2h"]
    assert await reminders.renew_claims() == 0, "nothing is in doubt once it is stamped"


@pytest.mark.parametrize("database_url", ["restartable"], indirect=True)
async def test_reminder_jobs_sent_stamp_waits_out_a_database_restart(
    stub: BotApiEmulator,
    installed_runtime: runtime.Runtime,
    add_user: UserFactory,
    add_booking: BookingFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    postgres_server: PostgresServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    user = await add_user(1)
    booking = await add_booking(user, utcnow() + H, booked_at=utcnow() - 72 * H)
    answer = stub.hold("sendMessage")
    sending = asyncio.create_task(reminders.send_reminder(booking))
    await stub.wait_for(lambda: stub.held == 1, what="the reminder to reach Telegram")

    # Telegram has the message; the database goes down before the bot can record that.
    await asyncio.to_thread(postgres_server.stop)
    answer.set()
    await eventually(lambda: "Cannot record the reminder_2h" in caplog.text, what="the bot to retry the stamp")
    await asyncio.to_thread(postgres_server.start)
    await asyncio.wait_for(sending, 30)

    assert await sent_kinds(sessionmaker, booking) == ["reminder_2h"]
    await reminders.sweep("catch_up")
    assert len(stub.messages_to(user)) == 1, "recorded once the database was back: never sent again"


async def a_later_start(in_own_session: UnitOfWork, booking_id: int) -> datetime:
    """A start the booking can be moved to: the last free one on the first bookable day."""

    async def find(service: BookingService) -> datetime:
        booking = await service.changeable_booking(booking_id, 1, utcnow())
        days = await service.available_days(booking.service, utcnow(), moving=booking)
        starts = await service.available_starts(booking.service, days[0], utcnow(), moving=booking)
        return starts[-1]

    return await in_own_session(find)


@pytest.mark.parametrize("change", ["move", "cancel"])
async def test_reminder_jobs_a_move_or_cancel_committed_during_a_send_wins(
    stub: BotApiEmulator,
    installed_runtime: runtime.Runtime,
    add_user: UserFactory,
    add_booking: BookingFactory,
    in_own_session: UnitOfWork,
    sessionmaker: async_sessionmaker[AsyncSession],
    change: str,
) -> None:
    user = await add_user(1)
    booking_id = await add_booking(user, utcnow() + 20 * H, booked_at=utcnow() - 48 * H)
    answer = stub.hold("sendMessage")
    sending = asyncio.create_task(reminders.send_reminder(booking_id))
    await stub.wait_for(lambda: stub.held == 1, what="the 24h reminder to reach Telegram")

    if change == "move":
        new_start = await a_later_start(in_own_session, booking_id)
        await in_own_session(lambda service: service.reschedule(booking_id, user, new_start, by_admin=True))
    else:
        await in_own_session(lambda service: service.cancel(booking_id, user))
    answer.set()
    await asyncio.wait_for(sending, 10)

    job = installed_runtime.jobs.scheduler.get_job(f"reminder_{booking_id}")
    if change == "cancel":
        assert job is None, "a cancelled booking's reminder job is not put back"
        return
    async with sessionmaker() as session:
        moved = await session.get(Booking, booking_id)
        assert moved is not None
        assert moved.starts_at == new_start
        planned = next_reminder(moved.starts_at, moved.booked_at, installed_runtime.settings.reminders, utcnow())
    assert (job.next_run_time if job else None) == (planned.at if planned else None), "armed for the new time"


@pytest.mark.parametrize("database_url", ["restartable"], indirect=True)
async def test_reminder_jobs_a_database_outage_when_a_reminder_fires_is_retried_with_backoff(
    stub: BotApiEmulator,
    installed_runtime: runtime.Runtime,
    add_user: UserFactory,
    add_booking: BookingFactory,
    sessionmaker: async_sessionmaker[AsyncSession],
    postgres_server: PostgresServer,
) -> None:
    user = await add_user(1)
    start = utcnow() + 20 * H
    booking_id = await add_booking(user, start, booked_at=utcnow() - 48 * H)
    jobs = installed_runtime.jobs

    await asyncio.to_thread(postgres_server.stop)
    fired_at = utcnow()
    await reminders.send_reminder(booking_id)  # the date job has fired: it is gone from the store
    retry = jobs.scheduler.get_job(f"reminder_{booking_id}")
    assert retry is not None, "put back, not dropped"
    assert retry.kwargs == {"attempt": 1}
    assert fired_at + outages.backoff(0) <= retry.next_run_time <= utcnow() + outages.backoff(0)

    await reminders.send_reminder(booking_id, **retry.kwargs)  # still down: the next one waits longer
    retry = jobs.scheduler.get_job(f"reminder_{booking_id}")
    assert retry is not None
    assert retry.kwargs == {"attempt": 2}
    assert retry.next_run_time >= utcnow() + outages.backoff(1) - timedelta(seconds=1)

    await asyncio.to_thread(postgres_server.start)
    await reminders.send_reminder(booking_id, **retry.kwargs)
    assert ["Reminder" in m.text for m in stub.messages_to(user)] == [True]
    assert await sent_kinds(sessionmaker, booking_id) == ["reminder_1d"]
    after = jobs.scheduler.get_job(f"reminder_{booking_id}")
    assert after is not None, "the chain goes on"
    assert after.next_run_time == start - 2 * H, "to the 2h reminder"
    assert after.kwargs == {}
