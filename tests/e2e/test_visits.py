"""A no-show recorded in the owner's day view closes self-booking at MAX_NO_SHOWS, over real HTTP."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from emulator import BotApiEmulator
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import database, until_saved

OWNER = 9001
CLIENT = 2301


async def test_visits_a_no_show_marked_by_the_owner_closes_booking_at_the_limit(
    stub: BotApiEmulator, bot_factory: BotFactory, database_url: str
) -> None:
    bot = bot_factory(ADMIN_IDS=str(OWNER), TIMEZONE="UTC", MAX_NO_SHOWS="1", BUSINESS_CONTACT="@salon_desk")
    await bot.start()
    client = stub.user(CLIENT, "Client")
    client.send("/start")
    await client.wait_message("Hello")
    await until_saved(stub, database_url, client)
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=30)
    sqlite = "sqlite" in database_url
    with database(database_url) as db:
        db.execute(
            text(
                "INSERT INTO bookings (user_id, service_id, specialist_id, starts_at, ends_at, occupied_until, status, "
                "booked_at, created_at, updated_at) VALUES (:user, 1, 1, :start, :end, :end, 'active', :start, "
                ":start, :start)"
            ),
            {
                "user": CLIENT,
                "start": start.replace(tzinfo=None) if sqlite else start,
                "end": (start + timedelta(hours=1)).replace(tzinfo=None) if sqlite else start + timedelta(hours=1),
            },
        )
    owner = stub.user(OWNER, "Owner")
    owner.send(f"/day {start:%Y-%m-%d}")
    view = await owner.wait_message("booking(s)")
    owner.click(view, "🚫")
    await stub.wait_for(lambda: "🚫1" in view.text, what="the no-show in the day view")

    client.send("/book")
    refused = await client.wait_message("did not come")
    assert "@salon_desk" in refused.text
    assert not stub.errors, stub.errors


async def test_visits_the_owner_closes_booking_for_a_client_from_their_card_and_writes_a_note(
    stub: BotApiEmulator, bot_factory: BotFactory, database_url: str
) -> None:
    bot = bot_factory(ADMIN_IDS=str(OWNER), TIMEZONE="UTC", BUSINESS_CONTACT="@salon_desk")
    await bot.start()
    client = stub.user(CLIENT, "Client <b>&")
    client.send("/start")
    await client.wait_message("Hello")
    await until_saved(stub, database_url, client)

    owner = stub.user(OWNER, "Owner")
    owner.send(f"/client {CLIENT}")
    card = await owner.wait_message("👤 Client <b>&")
    assert "Visits: 0" in card.text
    await owner.wait_answer(owner.click(card, "⛔ Close booking"))
    assert "closed for this client" in card.text
    client.send("/book")
    refused = await client.wait_message("closed for you")
    assert "@salon_desk" in refused.text

    owner.click(card, "📝")
    await owner.wait_message("Write the note")
    owner.send("Always late <i>by 10'</i>")
    saved = await owner.wait_message("Note saved")
    assert "Always late <i>by 10'</i>" in saved.text
    await owner.wait_answer(owner.click(saved, "✅ Open booking"))
    client.send("/book")
    await client.wait_message("Choose", after=len(client.messages()) - 1)
    assert not stub.errors, stub.errors
