"""Over real HTTP: a booking left unconfirmed at CONFIRM_BY is released, the two clients waiting for that full day
are offered the time at once, and of the two racing for it the database gives it to one."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from emulator import BotApiEmulator, EmulatedUser
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import book, database

OWNER, HOLDER, FIRST, SECOND = 9001, 2401, 2402, 2403
CONFIRM_BY = timedelta(seconds=30)


def midday_zone(now: datetime) -> str:
    """A fixed-offset zone in which it is around noon now: today then has a few minutes of hours, never past
    midnight, whenever the test runs."""
    offset = 12 - now.hour
    return "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"  # POSIX signs: Etc/GMT-3 is UTC+3


async def wait_for_full_day(stub: BotApiEmulator, client: EmulatedUser) -> None:
    client.send("/book")
    flow = await client.wait_message("Choose a day", after=len(client.messages()))
    client.click(flow, "Wait for a full day")
    await stub.wait_for(lambda: "These days are full" in flow.text, what="the full days")
    client.click(flow, "🔔")
    await stub.wait_for(lambda: "when a time frees up" in flow.text, what="on the waitlist")


@pytest.mark.timeout(300)
async def test_waitlist_an_unconfirmed_booking_released_at_confirm_by_goes_to_one_of_two_racing_clients(
    stub: BotApiEmulator, bot_factory: BotFactory, database_url: str
) -> None:
    now = datetime.now(UTC)
    zone = midday_zone(now)
    first_start = (now + timedelta(seconds=135)).replace(second=0, microsecond=0)  # 75-135 s ahead
    offset = timedelta(hours=12 - now.hour)
    opening = (first_start + offset).strftime("%H:%M")
    closing = (first_start + offset + timedelta(minutes=2)).strftime("%H:%M")
    await bot_factory(
        ADMIN_IDS=str(OWNER),
        TIMEZONE=zone,
        SLOT_MINUTES="1",
        WORK_DAYS="1-7",
        WORK_START=opening,
        WORK_END=closing,
        BOOKING_MIN_LEAD="0s",
        CANCEL_CUTOFF="0s",
        CONFIRM_BY=f"{int(CONFIRM_BY.total_seconds())}s",
        RELEASE_UNCONFIRMED="true",
    ).start()

    holder = stub.user(HOLDER, "Holder")
    starts = [(await book(stub, holder))[1] for _ in range(2)]  # today's first start each time: the day fills
    assert starts == [first_start, first_start + timedelta(minutes=1)]
    first, second = stub.user(FIRST, "First <b>&"), stub.user(SECOND, "Second")
    await wait_for_full_day(stub, first)
    await wait_for_full_day(stub, second)
    assert datetime.now(UTC) < first_start - CONFIRM_BY, "set up before the deadline"

    released = await holder.wait_message("not confirmed in time", timeout=180)
    assert "/book" in released.text
    offers = await asyncio.gather(*(who.wait_message("A time has freed up", timeout=60) for who in (first, second)))
    wanted = offers[0].buttons()[0]["text"]
    assert wanted == offers[1].buttons()[0]["text"] == (first_start + offset).strftime("%H:%M")
    for who, offer in ((first, offers[0]), (second, offers[1])):
        who.click(offer, wanted)
    for offer in offers:
        await stub.wait_for(lambda offer=offer: "Confirm?" in offer.text, what="the summary")
    first.click(offers[0], "Confirm")
    second.click(offers[1], "Confirm")
    await stub.wait_for(
        lambda: all("Booked" in o.text or "just filled up" in o.text or "Choose a time" in o.text for o in offers),
        what="both confirmations answered",
    )
    winners = [o for o in offers if "Booked" in o.text]
    assert len(winners) == 1, [o.text for o in offers]
    owner = stub.user(OWNER, "Owner")
    await owner.wait_message("Released, not confirmed in time")

    with database(database_url) as db:
        taken = db.execute(
            text("SELECT user_id FROM bookings WHERE status = 'active' AND user_id IN (:a, :b)"),
            {"a": FIRST, "b": SECOND},
        ).all()
        waiting = db.execute(text("SELECT user_id FROM waitlist")).all()
    assert len(taken) == 1
    loser = SECOND if taken[0][0] == FIRST else FIRST
    assert waiting == [(loser,)], "the one who got the time no longer waits; the other stays on the list"
    assert not stub.errors, stub.errors
