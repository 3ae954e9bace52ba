"""Visit outcomes from the day view: ✅ came / 🚫 no-show, by admins and by the booking's own specialist."""

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.callbacks import OwnVisitMark, VisitMark
from core.errors import NoShowLimit
from database.engine import TransactionMode, commit, use_transactions
from database.models import AuditEntry, Booking, BookingStatus, User, utcnow
from emulator import BotApiEmulator
from services import reminders
from services.booking import BookingService
from services.catalog import Catalog
from tests.handlers.conftest import OWNER, Chat, open_chat
from tests.handlers.test_staff import ANNA_PHONE, CLIENT, barbershop, say


async def add_booking(chat: Chat, starts_in: timedelta, specialist_id: int = 1, user_id: int = CLIENT) -> int:
    start = utcnow().replace(second=0, microsecond=0) + starts_in
    async with chat.sessionmaker() as session:
        if await session.get(User, user_id) is None:
            session.add(User(id=user_id, first_name="Client <b>&", language="en"))
        booking = Booking(
            user_id=user_id,
            service_id=1,
            specialist_id=specialist_id,
            starts_at=start,
            ends_at=start + timedelta(minutes=30),
            booked_at=start - timedelta(days=2),
        )
        session.add(booking)
        await commit(session)
        return booking.id


async def status(chat: Chat, booking_id: int) -> BookingStatus:
    async with chat.sessionmaker() as session:
        return (await session.get(Booking, booking_id)).status  # type: ignore[union-attr]


async def refused_but_booked_by_an_admin(chat: Chat, refusal: type[Exception]) -> None:
    """The client's own booking is refused with `refusal`; an admin booking for them is not (rolled back)."""
    async with chat.sessionmaker() as session:
        await use_transactions(session, TransactionMode.WRITE)
        service = BookingService(session, chat.settings, chat.jobs, Catalog())
        noon = (utcnow() + timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
        with pytest.raises(refusal):
            await service.book(CLIENT, 1, noon)
        assert (await service.book(CLIENT, 1, noon, by_admin=True)).id, "an admin may still book for them"
        await session.rollback()


def day_of(chat: Chat, booking_start: timedelta) -> str:
    return f"{(utcnow() + booking_start).astimezone(chat.settings.timezone):%d.%m}"


async def test_visits_an_admin_marks_a_no_show_and_corrects_it_and_the_count_shows(
    chat: Chat, stub: BotApiEmulator
) -> None:
    ago = -timedelta(minutes=40)
    past = await add_booking(chat, ago)
    owner = stub.user(OWNER, "Owner")
    await say(chat, owner, f"/day {day_of(chat, ago)}")
    view = owner.messages()[-1]
    labels = [b["text"] for b in view.buttons()]
    assert any(label.startswith("✅") for label in labels)
    assert any(label.startswith("🚫") for label in labels)

    owner.click(view, "🚫")
    await chat.process()
    assert await status(chat, past) == BookingStatus.NO_SHOW
    assert "🚫1" in view.text, "the client's no-shows beside their name"
    assert not any(b["text"].startswith("🚫") for b in view.buttons()), "only the other outcome is offered"

    owner.click(view, "✅")
    await chat.process()
    assert await status(chat, past) == BookingStatus.COMPLETED
    assert "🚫1" not in view.text
    async with chat.sessionmaker() as session:
        actions = list(await session.scalars(select(AuditEntry.action).where(AuditEntry.action == "booking.visit")))
    assert len(actions) == 2
    assert not stub.errors, stub.errors


async def test_visits_a_future_or_cancelled_booking_takes_no_outcome(chat: Chat, stub: BotApiEmulator) -> None:
    ahead = await add_booking(chat, timedelta(hours=3))
    owner = stub.user(OWNER, "Owner")
    await say(chat, owner, f"/day {day_of(chat, timedelta(hours=3))}")
    view = owner.messages()[-1]
    assert not any(b["text"].startswith(("✅", "🚫")) for b in view.buttons())
    query = owner.click_data(view, VisitMark(booking_id=ahead, came=False, day="20261203").pack())
    await chat.process()
    assert stub.callback_answers[query]["show_alert"]
    assert await status(chat, ahead) == BookingStatus.ACTIVE


async def test_visits_a_linked_specialist_marks_only_their_own(chat: Chat, stub: BotApiEmulator) -> None:
    owner = await barbershop(chat, stub)
    await say(chat, owner, f"/staff_link 1 {ANNA_PHONE}")
    ago = -timedelta(minutes=40)
    annas = await add_booking(chat, ago, specialist_id=1)
    boris = await add_booking(chat, ago - timedelta(hours=1), specialist_id=2, user_id=CLIENT + 1)
    anna = stub.user(ANNA_PHONE, "Anna")
    await say(chat, anna, f"/day {day_of(chat, ago)}")
    view = anna.messages()[-1]
    anna.click(view, "🚫")
    await chat.process()
    assert await status(chat, annas) == BookingStatus.NO_SHOW
    query = anna.click_data(view, OwnVisitMark(booking_id=boris, came=False, day="20261203").pack())
    await chat.process()
    assert "not available" in stub.callback_answers[query]["text"]
    assert await status(chat, boris) == BookingStatus.ACTIVE


async def test_visits_a_no_show_gets_no_feedback_request(chat: Chat, stub: BotApiEmulator) -> None:
    ended = await add_booking(chat, -timedelta(hours=4))
    owner = stub.user(OWNER, "Owner")
    await say(chat, owner, f"/day {day_of(chat, -timedelta(hours=4))}")
    owner.click(owner.messages()[-1], "🚫")
    await chat.process()
    await reminders.send_feedback_request(ended)
    await reminders.sweep("catch_up")
    assert stub.messages_to(CLIENT) == []


@pytest.fixture
async def strict_chat(stub: BotApiEmulator, database_url: str) -> AsyncIterator[Chat]:
    async for opened in open_chat(stub, database_url, max_no_shows=2, business_contact="+1 555 0100 <b>&"):
        yield opened


async def test_visits_a_client_at_max_no_shows_cannot_book_until_forgiven(
    strict_chat: Chat, stub: BotApiEmulator
) -> None:
    chat = strict_chat
    client = stub.user(CLIENT, "Client")
    owner = stub.user(OWNER, "Owner")
    for hours in (5, 3):
        booking_id = await add_booking(chat, -timedelta(hours=hours))
        async with chat.sessionmaker() as session:
            (await session.get(Booking, booking_id)).status = BookingStatus.NO_SHOW  # type: ignore[union-attr]
            await commit(session)
        answer = await say(chat, client, "/book")
        if hours == 5:
            assert "Choose" in answer or "Which service" in answer, "one no-show is under the limit"
    assert "did not come to 2 booked appointments" in answer
    assert "+1 555 0100 <b>&" in answer, "how to reach the business, escaped and intact"

    await refused_but_booked_by_an_admin(chat, NoShowLimit)

    assert "No such client" in await say(chat, owner, "/forgive 123")
    done = await say(chat, owner, f"/forgive {CLIENT}")
    assert "2 no-show(s)" in done
    answer = await say(chat, client, "/book")
    assert "did not come" not in answer
    await add_booking(chat, -timedelta(hours=1))
    async with chat.sessionmaker() as session:
        await session.execute(
            update(Booking)
            .where(Booking.starts_at > utcnow() - timedelta(hours=2))
            .values(status=BookingStatus.NO_SHOW)
        )
        await commit(session)
    assert "did not come" not in await say(chat, client, "/book"), "only no-shows after the pardon count"


async def test_visits_as_an_appointment_ends_its_specialist_is_asked_once_and_answers(
    chat: Chat, stub: BotApiEmulator
) -> None:
    owner = await barbershop(chat, stub)
    await say(chat, owner, f"/staff_link 1 {ANNA_PHONE}")
    annas = await add_booking(chat, -timedelta(minutes=31), specialist_id=1)
    boris = await add_booking(chat, -timedelta(minutes=31), specialist_id=2, user_id=CLIENT + 1)
    anna = stub.user(ANNA_PHONE, "Anna")
    sent = len(stub.sent)
    for booking_id in (annas, annas, boris):
        await reminders.ask_visit_outcome(booking_id)
    await reminders.sweep("reminder_1h")
    assert len(stub.sent) == sent + 2, "Anna is asked about hers, the owner about Boris's (no one linked); once"
    question = await anna.wait_message("Did Client <b>& come?")
    assert [b["text"] for b in question.buttons()] == ["✅ Came", "🚫 No-show"]
    assert "Did Client <b>& come?" in (await owner.wait_message("Did")).text
    anna.click(question, "No-show")
    await chat.process()
    assert await status(chat, annas) == BookingStatus.NO_SHOW
    assert not stub.errors, stub.errors


async def test_visits_nobody_is_asked_about_a_visit_already_marked_but_an_auto_completed_one_is_asked(
    chat: Chat, stub: BotApiEmulator
) -> None:
    marked = await add_booking(chat, -timedelta(minutes=40))
    owner = stub.user(OWNER, "Owner")
    await say(chat, owner, f"/day {day_of(chat, -timedelta(minutes=40))}")
    owner.click(owner.messages()[-1], "✅")
    await chat.process()
    assert await status(chat, marked) == BookingStatus.COMPLETED
    auto_completed = await add_booking(chat, -timedelta(minutes=35), user_id=CLIENT + 1)
    async with chat.sessionmaker() as session:
        await session.execute(
            update(Booking).where(Booking.id == auto_completed).values(status=BookingStatus.COMPLETED)
        )
        await commit(session)
    sent = len(owner.messages())
    await reminders.ask_visit_outcome(marked)
    await reminders.ask_visit_outcome(auto_completed)
    await reminders.sweep("reminder_1h")
    asked = owner.messages()[sent:]
    assert len(asked) == 1, [message.text for message in asked]
    assert "Did Client <b>& come?" in asked[0].text
    assert VisitMark.unpack(asked[0].buttons()[0]["callback_data"]).booking_id == auto_completed


async def test_visits_an_appointment_still_under_way_or_cancelled_raises_no_question(
    chat: Chat, stub: BotApiEmulator
) -> None:
    under_way = await add_booking(chat, -timedelta(minutes=10))
    cancelled = await add_booking(chat, -timedelta(hours=2), user_id=CLIENT + 1)
    async with chat.sessionmaker() as session:
        await use_transactions(session, TransactionMode.WRITE)
        await session.execute(update(Booking).where(Booking.id == cancelled).values(status=BookingStatus.CANCELLED))
        await commit(session)
    sent = len(stub.sent)
    for booking_id in (under_way, cancelled):
        await reminders.ask_visit_outcome(booking_id)
    assert len(stub.sent) == sent
