"""Reminders and feedback over real HTTP, with the bot killed and restarted around them.

Slots are one minute long and the reminder comes 10 seconds before the start, so the scenario
plays out in about two minutes of real time per database. Flood limits, blocked users and cancelled
bookings are covered against the same stand-in in tests/services/test_reminder_jobs.py.
"""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from emulator import BotApiEmulator, EmulatedUser
from tests.e2e.bot_process import BotProcess
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import book

REMINDER_OFFSET = timedelta(seconds=10)
FAST = {
    "SLOT_MINUTES": "1",
    "BOOKING_MIN_LEAD": "0s",
    "CANCEL_CUTOFF": "0s",
    "REMINDERS": "10s",
    "FEEDBACK_AFTER": "1s",
}


async def wait_until(moment: datetime) -> None:
    """Wait for a wall-clock moment (the bot is down meanwhile: there is nothing else to observe)."""
    await asyncio.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()))


def reminders_to(client: EmulatedUser) -> list[str]:
    return [m.text for m in client.messages() if "Reminder" in m.text]


async def restart_and_catch_up(bot: BotProcess) -> None:
    await bot.kill()
    await bot.start()
    await bot.stub.wait_for(lambda: "Sweep catch_up done" in bot.log_path.read_text(), what="the catch-up sweep")


@pytest.mark.timeout(420)  # up to a minute to the next slot, a minute of appointment, three bot starts
async def test_reminders_survive_sigkill_and_downtime_exactly_once(
    stub: BotApiEmulator, bot_factory: BotFactory
) -> None:
    bot = bot_factory(**FAST)
    await bot.start()
    early, late = stub.user(2001, "Early"), stub.user(2002, "Late")
    _, early_start = await book(stub, early, after=datetime.now(UTC) + timedelta(seconds=15))
    _, late_start = await book(stub, late, after=early_start + timedelta(minutes=1))

    # Killed between booking and reminder, and kept down across the first reminder's time.
    await bot.kill()
    await wait_until(early_start - REMINDER_OFFSET + timedelta(seconds=1))
    await bot.start()

    caught_up = await early.wait_message("Reminder", timeout=30)
    assert f"today at {early_start:%H:%M}" in caught_up.text
    on_time = await late.wait_message("Reminder", timeout=90)
    lateness = on_time.sent_at - (late_start - REMINDER_OFFSET).timestamp()
    print(f"reminder lateness after restart: {lateness:.3f}s")
    assert -0.5 < lateness < 5

    # The appointment ends; the feedback request follows, and a rating can be given and changed.
    feedback = await early.wait_message("How was your visit", timeout=90)
    query = early.click(feedback, "4")
    assert (await early.wait_answer(query))["text"] == "⭐" * 4
    await stub.wait_for(lambda: "You rated it 4" in feedback.text, what="the rating")
    early.click(feedback, "5")
    await stub.wait_for(lambda: "You rated it 5" in feedback.text, what="the changed rating")
    early.send("Great haircut <3 & thanks")
    await early.wait_message("Thank you for your comment")

    await restart_and_catch_up(bot)
    assert len(reminders_to(early)) == 1
    assert len(reminders_to(late)) == 1
    rating_messages = [m for m in early.messages() if any(b["callback_data"].startswith("rate:") for b in m.buttons())]
    assert len(rating_messages) == 1
    assert not [e for e in stub.errors if "not modified" not in e[2]]
