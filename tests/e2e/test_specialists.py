"""A barbershop of three, set up and booked over real HTTP against the stand-in, by the real process."""

from emulator import BotApiEmulator, EmulatedUser
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import TIME

OWNER = 9001


async def say(owner: EmulatedUser, text: str, expect: str) -> str:
    before = len(owner.messages())
    owner.send(text)
    return (await owner.wait_message(expect, after=before)).text


async def test_specialists_an_owner_sets_up_three_barbers_and_clients_book_each_or_anyone(
    stub: BotApiEmulator, bot_factory: BotFactory
) -> None:
    bot = bot_factory(ADMIN_IDS=str(OWNER), SLOT_MINUTES="30")
    await bot.start()
    owner = stub.user(OWNER, "Owner")
    await say(owner, "/staff_edit 1 name Anna", "Saved: Anna")
    await say(owner, "/staff_add Boris; all; beards", "Added specialist Boris")
    await say(owner, "/staff_add Clara <b>&; all", "Added specialist Clara")
    await say(owner, "/hours Boris mon-sun 10:00-13:00 14:00-20:00", "Hours of Boris")

    bookings = []
    for client_id, choice in ((3001, "👤 Boris"), (3002, "👥"), (3003, "👤 Clara <b>&")):
        client = stub.user(client_id, f"Client {client_id}")
        client.send("/book")
        flow = await client.wait_message("Who would you like")
        client.click(flow, choice)
        await stub.wait_for(lambda flow=flow: "Choose a day" in flow.text and flow, what="the days")
        client.click(flow, flow.buttons()[1]["text"])
        await stub.wait_for(lambda flow=flow: "Choose a time" in flow.text and flow, what="the times")
        client.click(flow, next(b["text"] for b in flow.buttons() if TIME.match(b["text"])))
        await stub.wait_for(lambda flow=flow: "Confirm?" in flow.text, what="the summary")
        client.click(flow, "✅")
        await stub.wait_for(lambda flow=flow: "Booked" in flow.text, what="the confirmation")
        bookings.append(flow.text)
    assert "👤 Boris" in bookings[0]
    assert "👤 " in bookings[1], "anyone: the bot names who was assigned"
    assert "👤 Clara <b>&" in bookings[2], "a hostile name is shown as text"

    day = await say(owner, "/tomorrow", "booking(s)")
    assert "Anna" in day
    assert "Boris" in day
    assert "Clara <b>&" in day
    assert not stub.errors, stub.errors
    await bot.terminate()
