"""Calendars: a booking's .ics file (📅) and the subscription feeds admins and linked specialists get."""

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from icalendar import Calendar
from sqlalchemy import select

from bot.callbacks import CalendarFile
from bot.web import create_app
from database.engine import TransactionMode, commit, use_transactions
from database.models import Booking, BookingStatus, CalendarFeed, User, utcnow
from emulator import BotApiEmulator, EmulatedUser
from services.booking import BookingService
from services.catalog import Catalog
from tests.handlers.conftest import FIRST_SPECIALIST, Chat, open_chat
from tests.handlers.test_staff import ANNA_PHONE, CLIENT, barbershop, say

ADDRESS = "Main St. 1 <b>&"
PUBLIC = "https://bookings.example.com"


@pytest.fixture
async def chat(stub: BotApiEmulator, database_url: str) -> AsyncIterator[Chat]:
    async for opened in open_chat(stub, database_url, business_address=ADDRESS, public_url=PUBLIC):
        yield opened


def events(content: bytes) -> list:  # type: ignore[type-arg]
    return list(Calendar.from_ical(content).walk("VEVENT"))


async def calendar_file(chat: Chat, stub: BotApiEmulator, client: EmulatedUser, button: str, message=None):  # type: ignore[no-untyped-def]
    before = len(stub.files)
    client.click(message or client.messages()[-1], button)
    await chat.process()
    assert len(stub.files) == before + 1, "one file sent"
    sent = stub.files[-1]
    assert sent.chat_id == client.id
    assert sent.filename.endswith(".ics")
    (event,) = events(sent.content)
    return event, sent


async def test_calendars_the_file_follows_a_booking_through_a_move_and_a_cancellation(
    chat: Chat, stub: BotApiEmulator
) -> None:
    client = stub.user(CLIENT, "Client")
    client.send("/book")
    await chat.process()
    flow = client.messages()[-1]
    for button in (
        lambda: flow.buttons()[1]["text"],
        lambda: next(b["text"] for b in flow.buttons() if ":" in b["text"]),
        lambda: "Confirm",
    ):
        client.click(flow, button())
        await chat.process()
    assert "Booked" in flow.text
    async with chat.sessionmaker() as session:
        booking = await session.scalar(select(Booking))
        assert booking is not None
    booked, sent = await calendar_file(chat, stub, client, "Add to calendar", flow)
    assert "to your calendar" in sent.caption
    uid = str(booked["uid"])
    assert uid.startswith(f"booking-{booking.id}@")
    assert booked.decoded("dtstart") == booking.starts_at
    assert booked.decoded("dtstart").utcoffset() == timedelta(0), "times in UTC"
    assert booked.decoded("dtend") == booking.ends_at
    assert booked["sequence"] == 0
    assert str(booked["status"]) == "CONFIRMED"
    assert str(booked["location"]) == ADDRESS, "plain text: a calendar shows no HTML"
    assert "Appointment" in str(booked["summary"])

    later = booking.starts_at + timedelta(hours=1)
    async with chat.sessionmaker() as session:
        await use_transactions(session, TransactionMode.WRITE)
        await BookingService(session, chat.settings, chat.jobs, Catalog()).reschedule(booking.id, CLIENT, later)
        await commit(session)
    client.send("/my")
    await chat.process()
    moved, _ = await calendar_file(chat, stub, client, "📅")
    assert str(moved["uid"]) == uid, "the same event, replaced"
    assert moved["sequence"] == 1
    assert moved.decoded("dtstart") == later

    client.click(client.messages()[-1], "Cancel")
    await chat.process()
    client.click(client.messages()[-1], "Yes, cancel it")
    await chat.process()
    cancelled, _ = await calendar_file(chat, stub, client, "Update my calendar")
    assert str(cancelled["uid"]) == uid
    assert str(cancelled["status"]) == "CANCELLED"
    assert cancelled["sequence"] == 2
    assert not stub.errors, stub.errors


async def test_calendars_someone_elses_or_a_forged_booking_gets_no_file(chat: Chat, stub: BotApiEmulator) -> None:
    start = utcnow() + timedelta(days=1)
    async with chat.sessionmaker() as session:
        session.add(User(id=CLIENT, first_name="Client"))
        booking = Booking(
            user_id=CLIENT,
            service_id=1,
            specialist_id=FIRST_SPECIALIST,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
        )
        session.add(booking)
        await commit(session)
    other = stub.user(9300, "Other")
    other.send("/start")
    await chat.process()
    for booking_id in (booking.id, 2**31 - 1):
        query = other.click_data(other.messages()[-1], CalendarFile(booking_id=booking_id).pack())
        await chat.process()
        assert "not available" in stub.callback_answers[query]["text"]
    assert stub.files == []


async def feeds(chat: Chat) -> list[CalendarFeed]:
    async with chat.sessionmaker() as session:
        return list(await session.scalars(select(CalendarFeed).order_by(CalendarFeed.id)))


async def test_calendars_feeds_for_the_business_and_a_specialist_hold_their_bookings_and_die_when_revoked(
    chat: Chat, stub: BotApiEmulator
) -> None:
    owner = await barbershop(chat, stub)
    now = utcnow().replace(second=0, microsecond=0)
    async with chat.sessionmaker() as session:
        session.add(User(id=CLIENT, first_name="Client <b>&", username="client_x"))
        for days, specialist, status in (
            (-40, 1, BookingStatus.COMPLETED),  # before the feed's 30 days
            (-20, 1, BookingStatus.COMPLETED),
            (1, 1, BookingStatus.ACTIVE),
            (2, 2, BookingStatus.ACTIVE),  # Boris's
            (3, 1, BookingStatus.CANCELLED),
            (70, 1, BookingStatus.ACTIVE),  # after the feed's 60 days
        ):
            start = now + timedelta(days=days)
            session.add(
                Booking(
                    user_id=CLIENT,
                    service_id=1,
                    specialist_id=specialist,
                    starts_at=start,
                    ends_at=start + timedelta(hours=1),
                    status=status,
                )
            )
        await commit(session)

    added = await say(chat, owner, "/calendar_add")
    assert f"{PUBLIC}/calendar/" in added
    assert "the whole business" in added
    assert "Anna" in await say(chat, owner, "/calendar_add Anna")
    assert "No specialist is called “Nobody”" in await say(chat, owner, "/calendar_add Nobody")
    business, anna = await feeds(chat)
    listing = await say(chat, owner, "/calendars")
    assert business.secret in listing
    assert anna.secret in listing

    async with TestClient(TestServer(create_app())) as http:

        async def feed(secret: str) -> tuple[int, bytes]:
            response = await http.get(f"/calendar/{secret}.ics")
            return response.status, await response.read()

        status, body = await feed(business.secret)
        assert status == 200
        starts = sorted(event.decoded("dtstart") for event in events(body))
        assert starts == [now + timedelta(days=d) for d in (-20, 1, 2)], "30 days back, 60 ahead, none cancelled"
        summaries = [str(event["summary"]) for event in events(body)]
        assert any("Client <b>&" in s and "(Boris)" in s for s in summaries), "the client and the specialist"
        status, body = await feed(anna.secret)
        assert [event.decoded("dtstart") for event in events(body)] == [now + timedelta(days=d) for d in (-20, 1)]

        owner.click(owner.messages()[-1], f"Revoke #{anna.id}")
        await chat.process()
        revoked = await feed(anna.secret)
        unknown = await feed("x" * 32)
        assert revoked == unknown == (404, b"Not found"), "a revoked address tells nothing more than a made-up one"
        assert (await feed(business.secret))[0] == 200
        assert anna.secret not in owner.messages()[-1].text
    assert not stub.errors, stub.errors


async def test_calendars_a_linked_specialist_gets_their_own_feed_once(chat: Chat, stub: BotApiEmulator) -> None:
    owner = await barbershop(chat, stub)
    await say(chat, owner, f"/staff_link 1 {ANNA_PHONE}")
    anna = stub.user(ANNA_PHONE, "Anna")
    first = await say(chat, anna, "/calendar")
    again = await say(chat, anna, "/calendar")
    (feed,) = await feeds(chat)
    assert feed.specialist_id == 1
    assert feed.secret in first
    assert first == again, "the same address until it is revoked"
    client = stub.user(CLIENT + 1, "Client")
    assert "/calendar/" not in await say(chat, client, "/calendar"), "clients have no feed"
