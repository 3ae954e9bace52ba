"""A deployment of the previous version upgrades in place: its bookings and stored reminder jobs carry on."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from emulator import BotApiEmulator
from services.scheduling import BookingTimes, ReminderJobs, create_scheduler
from tests.conftest import make_settings
from tests.database.test_migrations import migrate
from tests.e2e.conftest import BotFactory

PREVIOUS_HEAD = "0004"
FAST = {"REMINDERS": "10s", "FEEDBACK_AFTER": "1s", "BOOKING_MIN_LEAD": "0s", "CANCEL_CUTOFF": "0s"}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.timeout(180)
async def test_upgrade_from_the_previous_head_keeps_bookings_and_stored_reminders_exactly_once(
    stub: BotApiEmulator, bot_factory: BotFactory, database_url: str
) -> None:
    client = stub.user(3101, "Before <b>&")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=35)
    end = start + timedelta(seconds=20)
    engine = create_async_engine(database_url)
    try:
        await migrate(engine, PREVIOUS_HEAD)
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO users (id, first_name, blocked_bot, created_at, updated_at) "
                    "VALUES (3101, 'Before <b>&', false, now(), now())"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO services (id, name, duration_minutes, is_active, position, created_at) "
                    "VALUES (1, 'Visit', 1, true, 0, now())"
                )
            )
            booking_id = await connection.scalar(
                text(
                    "INSERT INTO bookings (user_id, service_id, starts_at, ends_at, status, booked_at, created_at, "
                    "updated_at) VALUES (3101, 1, :start, :end, 'active', now(), now(), now()) RETURNING id"
                ),
                {"start": start, "end": end},
            )
    finally:
        await engine.dispose()
    # The previous version's jobs, in its PostgreSQL job store: they name the job functions and a booking id
    # (it had no visit question, `outcome_<id>`: the new version's reconcile adds it).
    settings = make_settings(database_url, reminders="10s", feedback_after="1s")
    scheduler, _ = create_scheduler(settings)
    scheduler.start(paused=True)
    previous = ReminderJobs(scheduler, settings)
    times = BookingTimes(booking_id, start, end, datetime.now(UTC))
    previous.schedule_reminder(times)
    previous.schedule_feedback(times)
    stored = {job.id for job in scheduler.get_jobs()}
    scheduler.shutdown(wait=False)
    assert stored == {f"reminder_{booking_id}", f"feedback_{booking_id}"}

    bot = bot_factory(**FAST)
    await bot.start()
    assert "Running upgrade 0004 -> 0005" in bot.log_path.read_text()
    reminder = await client.wait_message("Reminder", timeout=60)
    assert "<b>Visit</b>" in reminder.html
    await client.wait_message("How was your visit", timeout=60)
    assert sum("Reminder" in message.text for message in client.messages()) == 1
    assert sum("How was your visit" in message.text for message in client.messages()) == 1

    client.send("/my")
    await client.wait_message("You have no upcoming bookings")
    await bot.terminate()
