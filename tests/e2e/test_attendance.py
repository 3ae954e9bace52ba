"""A reminder's ✅ over real HTTP: the client confirms from the reminder and the owner's day view shows it."""

from datetime import UTC, datetime, timedelta

import pytest

from emulator import BotApiEmulator
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import book

OWNER = 9001
# One-minute slots and a reminder 50 s before the start: the reminder of a time booked a minute ahead is due
# within about a minute.
ENV = {
    "ADMIN_IDS": str(OWNER),
    "TIMEZONE": "UTC",
    "SLOT_MINUTES": "1",
    "BOOKING_MIN_LEAD": "0s",
    "CANCEL_CUTOFF": "0s",
    "REMINDERS": "50s",
}


@pytest.mark.timeout(240)
async def test_attendance_confirmed_in_the_reminder_shows_in_the_owners_day_view(
    stub: BotApiEmulator, bot_factory: BotFactory
) -> None:
    await bot_factory(**ENV).start()
    client = stub.user(2101, "Client <b>&")
    _, start = await book(stub, client, after=datetime.now(UTC) + timedelta(seconds=55))
    owner = stub.user(OWNER, "Owner")
    owner.send(f"/day {start:%Y-%m-%d}")
    before = await owner.wait_message("booking(s)")
    assert f"❔ {start:%H:%M}–" in before.text

    reminder = await client.wait_message("Reminder", timeout=90)
    client.click(reminder, "I'll come")
    await stub.wait_for(lambda: "We are expecting you" in reminder.text, what="the confirmation in place")
    owner.send(f"/day {start:%Y-%m-%d}")
    after = await owner.wait_message("booking(s)", after=len(owner.messages()))
    assert f"✅ {start:%H:%M}–" in after.text
    assert "Client <b>&" in after.text, "the client's name arrives escaped and intact"
    assert not stub.errors, stub.errors
