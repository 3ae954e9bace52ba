import asyncio
import re

import pytest

from emulator import BotApiEmulator
from tests.e2e.bot_process import BotProcess
from tests.e2e.conftest import SharedBot
from tests.e2e.helpers import book, open_times, start_of, time_buttons

DDMM = re.compile(r"\d{2}\.\d{2}")

# One worker runs the whole module, so each database gets one shared bot process.
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.xdist_group("booking_flow")]


@pytest.fixture
def stub(shared_bot: SharedBot) -> BotApiEmulator:
    shared_bot.stub.errors.clear()
    return shared_bot.stub


@pytest.fixture
def bot(shared_bot: SharedBot) -> BotProcess:
    return shared_bot.process


async def test_booking_flow_books_and_confirms_with_date_and_time(stub: BotApiEmulator, bot: BotProcess) -> None:
    client = stub.user(1001, "Anna")
    client.send("/start")
    await client.wait_message("Hello, Anna")

    client.send("/book")
    flow = await client.wait_message("Choose a day")
    day_button = flow.buttons()[0]
    assert DDMM.search(day_button["text"])
    client.click(flow, day_button["text"])
    await stub.wait_for(lambda: "Choose a time" in flow.text, what="time buttons")
    chosen = time_buttons(flow)[0]["text"]
    client.click(flow, chosen)

    await stub.wait_for(lambda: "Confirm?" in flow.text, what="the summary")
    query = client.click(flow, "✅")
    await client.wait_answer(query)
    await stub.wait_for(lambda: "Booked" in flow.text, what="the confirmation")
    confirmed_at = max(t for t, method, chat in stub.timeline if method == "editMessageText" and chat == client.id)
    answered_at = max(t for t, method, _ in stub.timeline if method == "answerCallbackQuery")
    assert confirmed_at < answered_at, "the result first; the answer only stops the button's spinner"
    assert chosen in flow.text
    assert DDMM.search(day_button["text"]).group(0) in flow.text  # type: ignore[union-attr]
    assert "Appointment" in flow.text

    client.send("/my")
    listing = await client.wait_message("Your upcoming bookings")
    assert chosen in listing.text
    assert listing.button("❌")
    assert listing.button("🔁")
    assert not stub.errors


async def test_booking_flow_cancel_asks_then_frees_the_slot(stub: BotApiEmulator, bot: BotProcess) -> None:
    client = stub.user(1002, "Boris")
    _, start = await book(stub, client)

    client.send("/my")
    listing = await client.wait_message("Your upcoming bookings")
    client.click(listing, "❌")
    await stub.wait_for(lambda: "Cancel " in listing.text and "?" in listing.text, what="the question")
    client.click(listing, "✅")
    await stub.wait_for(lambda: "is cancelled" in listing.text, what="the cancellation")

    client.send("/my")
    await client.wait_message("no upcoming bookings")
    flow = await open_times(stub, stub.user(1003, "Vera"))
    assert start in [start_of(b) for b in time_buttons(flow)], "the cancelled slot is free again"
    assert not stub.errors


async def test_booking_flow_reschedule_moves_the_same_booking(stub: BotApiEmulator, bot: BotProcess) -> None:
    client = stub.user(1004, "Gleb")
    _, first_start = await book(stub, client, pick=0)

    client.send("/my")
    listing = await client.wait_message("Your upcoming bookings")
    booking_id = listing.button("🔁")["callback_data"].split(":")[1]
    client.click(listing, "🔁")
    await stub.wait_for(lambda: "Rescheduling" in listing.text, what="the reschedule day choice")
    # The second day listed: late in the evening the first may have no time left but the booked one.
    client.click(listing, listing.buttons()[1]["text"])
    await stub.wait_for(lambda: "Choose a time" in listing.text, what="times")
    new_button = next(b for b in time_buttons(listing) if start_of(b) != first_start)
    client.click(listing, new_button["text"])
    await stub.wait_for(lambda: "Move your booking?" in listing.text, what="the summary")
    client.click(listing, "✅")
    await stub.wait_for(lambda: "Moved" in listing.text, what="the move")
    assert new_button["text"] in listing.text

    client.send("/my")
    again = await client.wait_message("Your upcoming bookings", after=len(client.messages()) - 1)
    assert again.button("🔁")["callback_data"].split(":")[1] == booking_id
    assert new_button["text"] in again.text
    assert len(time_buttons(again)) == 0
    assert again.text.count("•") == 1
    assert not stub.errors


async def test_booking_flow_forged_click_on_someone_elses_booking_is_refused(
    stub: BotApiEmulator, bot: BotProcess
) -> None:
    owner, intruder = stub.user(1005, "Owner"), stub.user(1006, "Intruder")
    await book(stub, owner)
    owner.send("/my")
    listing = await owner.wait_message("Your upcoming bookings")
    booking_id = listing.button("❌")["callback_data"].split(":")[1]

    intruder.send("/start")
    hello = await intruder.wait_message("Hello")
    for forged in (f"cxy:{booking_id}", f"cx:{booking_id}", f"rs:{booking_id}", f"rate:{booking_id}:5"):
        answer = await intruder.wait_answer(intruder.click_data(hello, forged))
        assert "not available" in answer["text"], (forged, answer)
    for garbage in ("tm:1:notanumber:0", "day:1:2099x:0", "rate:1:99", "\x00", "ok:1:99999999999999999:0"):
        answer = await intruder.wait_answer(intruder.click_data(hello, garbage))
        assert answer["text"], garbage

    owner.send("/my")
    still = await owner.wait_message("Your upcoming bookings", after=len(owner.messages()) - 1)
    assert still.button("❌")["callback_data"] == f"cx:{booking_id}"
    assert not stub.errors


async def test_booking_flow_two_clients_confirming_one_slot_get_one_booking(
    stub: BotApiEmulator, bot: BotProcess
) -> None:
    first, second = stub.user(1007, "First"), stub.user(1008, "Second")
    # Tomorrow: late in the evening today's last free time may be this one, and the loser then hears that
    # the day is full instead of being offered other times.
    flows = await asyncio.gather(open_times(stub, first, day_index=1), open_times(stub, second, day_index=1))
    target = time_buttons(flows[0])[0]["text"]
    for client, flow in zip((first, second), flows, strict=True):
        client.click(flow, target)
    for flow in flows:
        await stub.wait_for(lambda flow=flow: "Confirm?" in flow.text, what="summaries")
    queries = [client.click(flow, "✅") for client, flow in zip((first, second), flows, strict=True)]
    for client, query in zip((first, second), queries, strict=True):
        await client.wait_answer(query)
    await stub.wait_for(lambda: all("Booked" in f.text or "just taken" in f.text for f in flows), what="both outcomes")
    outcomes = sorted("Booked" in flow.text for flow in flows)
    assert outcomes == [False, True], [flow.text for flow in flows]
    loser = next(flow for flow in flows if "just taken" in flow.text)
    assert target not in [b["text"] for b in time_buttons(loser)], "the taken time is no longer offered"
    assert not stub.errors


async def test_booking_flow_double_click_on_confirm_books_once(stub: BotApiEmulator, bot: BotProcess) -> None:
    client = stub.user(1009, "Double")
    flow = await open_times(stub, client)
    client.click(flow, time_buttons(flow)[0]["text"])
    await stub.wait_for(lambda: "Confirm?" in flow.text, what="the summary")
    summary = flow.as_api()
    data = flow.button("✅")["callback_data"]
    queries = [client.click_data(flow, data) for _ in range(3)]
    for query in queries:
        await client.wait_answer(query)
    assert summary["text"] != flow.text

    client.send("/my")
    listing = await client.wait_message("Your upcoming bookings")
    assert listing.text.count("•") == 1
    assert all("message is not modified" in description for _, _, description in stub.errors)


async def test_booking_flow_hostile_name_and_garbage_input_get_clean_answers(
    stub: BotApiEmulator, bot: BotProcess
) -> None:
    client = stub.user(1010, "<b>&amp; </i>", username="x<y")
    client.send("/start")
    greeting = await client.wait_message("Hello")
    assert "<b>&amp; </i>" in greeting.text

    client.send("what?")
    await client.wait_message("did not understand", after=1)
    client.send_sticker()
    await stub.wait_for(lambda: len(client.messages()) >= 3, what="an answer to the sticker")
    client.send("/cancel")
    await client.wait_message("stopped", after=3)
    await book(stub, client)
    assert not stub.errors, stub.errors


async def test_booking_flow_speaks_russian_to_russian_users(stub: BotApiEmulator, bot: BotProcess) -> None:
    client = stub.user(1011, "Дарья", language_code="ru")
    client.send("/start")
    await client.wait_message("Здравствуйте, Дарья")
    client.send("📅 Записаться")
    await client.wait_message("Выберите день")
    assert not stub.errors


async def test_booking_flow_reply_waiting_on_telegram_holds_up_no_other_client(
    stub: BotApiEmulator, bot: BotProcess
) -> None:
    slow, other = stub.user(1012, "Slow"), stub.user(1013, "Other")
    slow.send("/book")
    flow = await slow.wait_message("Choose a day")
    held_before = stub.held
    edit = stub.hold("editMessageText")
    try:
        slow.click(flow, flow.buttons()[0]["text"])
        await stub.wait_for(lambda: stub.held > held_before, what="Telegram sitting on the times' edit")
        # On SQLite an open transaction would keep the write lock until Telegram answers (15 s busy timeout).
        other.send("/book")
        await other.wait_message("Choose a day", timeout=5)
    finally:
        edit.set()
        del stub.holds["editMessageText"]
    await stub.wait_for(lambda: "Choose a time" in flow.text, what="the slow client's times")
    assert not stub.errors
