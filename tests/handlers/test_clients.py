"""/client: a client's card — history, upcoming bookings, notes added in chat, self-booking closed and opened."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.callbacks import ClientBookingClosed, ClientCardOpen, ClientForgive, ClientNoteAsk
from core.errors import ClosedByAdmin
from database.engine import TransactionMode, commit, use_transactions
from database.models import AuditEntry, Booking, BookingStatus, CancelledBy, ClientNote, Feedback, User
from emulator import BotApiEmulator, EmulatedUser, SentMessage
from tests.handlers.conftest import OWNER, Chat
from tests.handlers.test_staff import CLIENT, say
from tests.handlers.test_visits import add_booking, refused_but_booked_by_an_admin


async def history(chat: Chat) -> None:
    """One visit rated 4, one no-show, one cancellation by each side, one booking ahead."""
    visit = await add_booking(chat, -timedelta(days=9))
    no_show = await add_booking(chat, -timedelta(days=8))
    by_client = await add_booking(chat, -timedelta(days=7))
    by_admin = await add_booking(chat, -timedelta(days=6))
    await add_booking(chat, timedelta(days=2))
    async with chat.sessionmaker() as session:
        await use_transactions(session, TransactionMode.WRITE)
        for booking_id, status, by in (
            (visit, BookingStatus.COMPLETED, None),
            (no_show, BookingStatus.NO_SHOW, None),
            (by_client, BookingStatus.CANCELLED, CancelledBy.CLIENT),
            (by_admin, BookingStatus.CANCELLED, CancelledBy.ADMIN),
        ):
            booking = await session.get(Booking, booking_id)
            assert booking is not None
            booking.status, booking.cancelled_by = status, by
        session.add(Feedback(booking_id=visit, rating=4))
        await commit(session)


async def card_of(chat: Chat, owner: EmulatedUser, query: str) -> SentMessage:
    await say(chat, owner, f"/client {query}")
    return owner.messages()[-1]


async def note_asked(chat: Chat, stub: BotApiEmulator) -> EmulatedUser:
    """The owner opened a client's card and pressed 📝: the bot waits for the note."""
    await add_booking(chat, timedelta(days=1))
    owner = stub.user(OWNER, "Owner")
    owner.click(await card_of(chat, owner, str(CLIENT)), "📝")
    await chat.process()
    return owner


async def test_clients_the_card_counts_the_history_and_lists_what_is_ahead(chat: Chat, stub: BotApiEmulator) -> None:
    await history(chat)
    owner = stub.user(OWNER, "Owner")
    assert "Usage: /client" in await say(chat, owner, "/client")
    assert "No such client" in await say(chat, owner, "/client 123")

    card = await card_of(chat, owner, str(CLIENT))
    assert "👤 Client <b>&" in card.text, "the name is text, not markup"
    for line in (
        "Visits: 1",
        "No-shows: 1",
        "Cancelled by the client: 1 · by the business: 1 · released unconfirmed: 0",
        "Ratings: 1, average 4.0★",
        "Upcoming",
    ):
        assert line in card.text, (line, card.text)
    labels = [button["text"] for button in card.buttons()]
    assert sum(label.startswith("❌") for label in labels) == 1, "the booking ahead can be cancelled from the card"
    assert {"➕ Book for them", "📝 Add a note", "⛔ Close booking", "🙏 Forgive 1 no-show(s)"} <= set(labels)

    owner.click(card, "🙏")
    await chat.process()
    assert "No-shows: 1 (0 counting against the limit)" in card.text
    assert not any(label.startswith("🙏") for label in (b["text"] for b in card.buttons()))
    assert not stub.errors, stub.errors


async def test_clients_notes_are_added_in_chat_and_shown_newest_first(chat: Chat, stub: BotApiEmulator) -> None:
    owner = await note_asked(chat, stub)
    assert "Write the note about Client <b>&" in owner.messages()[-1].text

    assert "The note is too long: at most 1000 characters" in await say(chat, owner, "x" * 1001)
    assert await chat.pending_question(OWNER) is not None, "still waiting for a shorter note"
    saved = await say(chat, owner, "Prefers <i>quiet</i> & =SUM(A1)")
    assert "Note saved" in saved
    assert "Prefers <i>quiet</i> & =SUM(A1)" in saved, "kept as typed, shown as text"

    for number in range(4):
        owner.click(owner.messages()[-1], "📝")
        await chat.process()
        await say(chat, owner, f"note {number} " + "&" * 990)
    card = await card_of(chat, owner, str(CLIENT))
    assert "note 3" in card.text
    assert "note 1" in card.text
    assert "note 0" not in card.text, "the three newest"
    assert "…and 2 more" in card.text
    async with chat.sessionmaker() as session:
        assert len((await session.scalars(select(ClientNote))).all()) == 5
        actions = (await session.scalars(select(AuditEntry.action).where(AuditEntry.action == "client.note"))).all()
    assert len(actions) == 5
    assert not stub.errors, stub.errors  # every card fitted Telegram's limits


async def test_clients_a_note_left_half_way_does_not_capture_later_text(chat: Chat, stub: BotApiEmulator) -> None:
    owner = await note_asked(chat, stub)
    await say(chat, owner, "/today")
    await say(chat, owner, "hello")
    async with chat.sessionmaker() as session:
        assert (await session.scalars(select(ClientNote))).all() == []


async def test_clients_closed_booking_refuses_the_client_but_not_the_admins(chat: Chat, stub: BotApiEmulator) -> None:
    await add_booking(chat, -timedelta(days=3))
    owner = stub.user(OWNER, "Owner")
    client = stub.user(CLIENT, "Client")
    card = await card_of(chat, owner, str(CLIENT))
    query = owner.click(card, "⛔ Close booking")
    await chat.process()
    assert stub.callback_answers[query]["text"] == "Booking closed for this client."
    assert "⛔ Booking in the chat is closed for this client" in card.text
    refused = await say(chat, client, "/book")
    assert "Booking here in the chat is closed for you" in refused

    query = owner.click_data(card, ClientBookingClosed(client_id=CLIENT, closed=True).pack())
    await chat.process()
    assert stub.callback_answers[query]["text"] == "Already so.", "a second click changes nothing"

    await refused_but_booked_by_an_admin(chat, ClosedByAdmin)

    owner.click(card, "✅ Open booking")
    await chat.process()
    assert "closed for this client" not in card.text
    assert "closed for you" not in await say(chat, client, "/book")
    async with chat.sessionmaker() as session:
        actions = (
            await session.scalars(select(AuditEntry.action).where(AuditEntry.action.startswith("client.")))
        ).all()
    assert actions == ["client.block", "client.unblock"]
    assert not stub.errors, stub.errors


async def test_clients_several_matches_offer_a_choice(chat: Chat, stub: BotApiEmulator) -> None:
    async with chat.sessionmaker() as session:
        session.add_all(
            [User(id=7001, first_name="Anna", last_name="A"), User(id=7002, first_name="Anna", last_name="B")]
        )
        await commit(session)
    owner = stub.user(OWNER, "Owner")
    pick = await card_of(chat, owner, "anna")
    assert "Several clients match" in pick.text
    assert sorted(b["text"] for b in pick.buttons()) == ["Anna A", "Anna B"]
    owner.click(pick, "Anna B")
    await chat.process()
    assert "👤 Anna B" in pick.text
    assert "id 7002" in pick.text


@pytest.mark.parametrize(
    "forged",
    [
        ClientCardOpen(client_id=2**52),
        ClientNoteAsk(client_id=2**52),
        ClientBookingClosed(client_id=2**52, closed=True),
        ClientForgive(client_id=2**52),
    ],
)
async def test_clients_forged_buttons_of_unknown_clients_are_refused(
    chat: Chat, stub: BotApiEmulator, forged: ClientCardOpen
) -> None:
    owner = stub.user(OWNER, "Owner")
    menu = await card_of(chat, owner, "nobody")
    query = owner.click_data(menu, forged.pack())
    await chat.process()
    assert stub.callback_answers[query]["show_alert"]
    assert await chat.pending_question(OWNER) is None


async def test_clients_a_client_cannot_use_the_card_buttons(chat: Chat, stub: BotApiEmulator) -> None:
    await add_booking(chat, timedelta(days=1))
    client = stub.user(CLIENT, "Client")
    await say(chat, client, "/start")
    hello = client.messages()[-1]
    query = client.click_data(hello, ClientBookingClosed(client_id=CLIENT, closed=False).pack())
    await chat.process()
    assert not stub.callback_answers[query].get("text", "").startswith("Booking opened")
    assert "/client" not in await say(chat, client, f"/client {CLIENT}")
    async with chat.sessionmaker() as session:
        assert (await session.scalars(select(AuditEntry.action))).all() == []
