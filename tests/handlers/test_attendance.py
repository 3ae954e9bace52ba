"""A reminder's ✅ / 🔁 / ❌, and what the day views show of it."""

from datetime import timedelta

from sqlalchemy import select, update

from bot.callbacks import AttendConfirm
from database.engine import commit
from database.models import Booking, BookingStatus, Service, User, utcnow
from emulator import BotApiEmulator, EmulatedUser
from services import reminders
from tests.handlers.conftest import FIRST_SPECIALIST, OWNER, Chat

CLIENT = 9100


async def booking_in(chat: Chat, hours: float, user_id: int = CLIENT) -> int:
    """A booking starting `hours` from now, made two days ago: its reminder is due now."""
    start = utcnow().replace(second=0, microsecond=0) + timedelta(hours=hours)
    async with chat.sessionmaker() as session:
        if await session.get(User, user_id) is None:
            session.add(User(id=user_id, first_name=f"Client {user_id}", language="en"))
        service_id = await session.scalar(select(Service.id).limit(1))
        booking = Booking(
            user_id=user_id,
            service_id=service_id,
            specialist_id=FIRST_SPECIALIST,
            starts_at=start,
            ends_at=start + timedelta(minutes=30),
            booked_at=utcnow() - timedelta(days=2),
        )
        session.add(booking)
        await commit(session)
        return booking.id


async def reminded(chat: Chat, client: EmulatedUser, booking_id: int):  # type: ignore[no-untyped-def]
    await reminders.send_reminder(booking_id)
    return await client.wait_message("Reminder")


async def day_view_line(chat: Chat, stub: BotApiEmulator, booking_id: int) -> str:
    async with chat.sessionmaker() as session:
        booking = await session.get(Booking, booking_id)
        assert booking is not None
        starts_at = booking.starts_at
    local = starts_at.astimezone(chat.settings.timezone)
    owner = stub.user(OWNER, "Owner")
    owner.send(f"/day {local:%d.%m}")
    await chat.process()
    view = owner.messages()[-1].text
    return next(line for line in view.splitlines() if f"{local:%H:%M}–" in line)


async def confirmed_at(chat: Chat, booking_id: int):  # type: ignore[no-untyped-def]
    async with chat.sessionmaker() as session:
        return await session.scalar(select(Booking.confirmed_at).where(Booking.id == booking_id))


async def test_attendance_confirmed_from_the_reminder_shows_in_place_and_in_the_day_view(
    chat: Chat, stub: BotApiEmulator
) -> None:
    client = stub.user(CLIENT, "Client")
    booking_id = await booking_in(chat, 3)
    reminder = await reminded(chat, client, booking_id)
    assert [b["text"] for b in reminder.buttons()] == ["✅ I'll come", "🔁 Move", "❌ Cancel"]
    assert (await day_view_line(chat, stub, booking_id)).startswith("❔")

    first = client.click(reminder, "I'll come")
    await chat.process()
    assert "We are expecting you" in reminder.text, "the reminder shows the result in place"
    assert [b["text"] for b in reminder.buttons()] == ["🔁 Move", "❌ Cancel"]
    assert not stub.callback_answers[first].get("text")
    stamped = await confirmed_at(chat, booking_id)
    assert stamped is not None
    assert (await day_view_line(chat, stub, booking_id)).startswith("✅")

    again = client.click_data(reminder, AttendConfirm(booking_id=booking_id).pack())
    await chat.process()
    assert "already confirmed" in stub.callback_answers[again]["text"]
    assert await confirmed_at(chat, booking_id) == stamped, "recorded once"
    assert not stub.errors, stub.errors


async def test_attendance_a_later_reminder_of_a_confirmed_booking_asks_no_more(
    chat: Chat, stub: BotApiEmulator
) -> None:
    client = stub.user(CLIENT, "Client")
    booking_id = await booking_in(chat, 3)
    async with chat.sessionmaker() as session:
        await session.execute(update(Booking).values(confirmed_at=utcnow()))
        await commit(session)
    reminder = await reminded(chat, client, booking_id)
    assert [b["text"] for b in reminder.buttons()] == ["🔁 Move", "❌ Cancel"]


async def test_attendance_move_and_cancel_from_the_reminder_follow_the_rules_of_my(
    chat: Chat, stub: BotApiEmulator
) -> None:
    client = stub.user(CLIENT, "Client")
    booking_id = await booking_in(chat, 3)
    reminder = await reminded(chat, client, booking_id)
    client.click(reminder, "Move")
    await chat.process()
    assert "Choose a new day" in reminder.text
    reminder = await reminded(chat, client, await booking_in(chat, 5))
    client.click(reminder, "Cancel")
    await chat.process()
    assert "Cancel" in reminder.text
    client.click(reminder, "Yes, cancel it")
    await chat.process()
    assert "is cancelled" in reminder.text

    async with chat.sessionmaker() as session:
        await session.execute(
            update(Booking)
            .where(Booking.id == booking_id)
            .values(starts_at=utcnow() + timedelta(minutes=30), ends_at=utcnow() + timedelta(hours=1))
        )
        await commit(session)
    late = client.click_data(reminder, f"cx:{booking_id}")
    await chat.process()
    assert "too late" in stub.callback_answers[late]["text"].lower(), "the cancellation cutoff holds"


async def test_attendance_refuses_someone_elses_a_cancelled_and_a_forged_booking(
    chat: Chat, stub: BotApiEmulator
) -> None:
    client, other = stub.user(CLIENT, "Client"), stub.user(9200, "Other")
    booking_id = await booking_in(chat, 3)
    reminder = await reminded(chat, client, booking_id)
    other.send("/start")
    await chat.process()
    shown = other.messages()[-1]
    for who, message, data in (
        (other, shown, AttendConfirm(booking_id=booking_id).pack()),
        (client, reminder, AttendConfirm(booking_id=2**31 - 1).pack()),
    ):
        query = who.click_data(message, data)
        await chat.process()
        assert "not available" in stub.callback_answers[query]["text"]
    assert await confirmed_at(chat, booking_id) is None

    async with chat.sessionmaker() as session:
        await session.execute(update(Booking).values(status=BookingStatus.CANCELLED))
        await commit(session)
    query = client.click(reminder, "I'll come")
    await chat.process()
    assert stub.callback_answers[query]["show_alert"]
    assert await confirmed_at(chat, booking_id) is None
    assert "Reminder" in reminder.text, "the message stays as it was"
    assert not stub.errors, stub.errors
