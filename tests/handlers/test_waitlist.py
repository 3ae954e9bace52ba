"""The waitlist: 🔔 on a full day, offers of freed times (once each), the first to confirm gets the time; and
CONFIRM_BY: a last nudge, or the release of an unconfirmed booking."""

from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, update

from bot.callbacks import WaitlistJoin, WaitlistLeave
from database.engine import TransactionMode, after_commit_work_done, commit, use_transactions
from database.models import Booking, BookingStatus, CancelledBy, Notification, Service, User, WaitlistEntry, utcnow
from emulator import BotApiEmulator, EmulatedUser
from services import reminders, runtime, waitlist
from services.admin import AdminService
from services.booking import BookingService
from services.scheduling import ADMIN_EVENT_JOB, WAITLIST_JOB
from tests.handlers.conftest import FIRST_SPECIALIST, OWNER, Chat, open_chat
from tests.handlers.test_attendance import booking_in

HOLDER, FIRST, SECOND = 9300, 9101, 9102
# Two 15-minute starts a day, 09:00 and 09:15 UTC: two bookings fill a day.
SHORT_DAYS = {"work_start": "09:00", "work_end": "09:30"}


@pytest.fixture
async def short_chat(stub: BotApiEmulator, database_url: str) -> AsyncIterator[Chat]:
    async for opened in open_chat(stub, database_url, **SHORT_DAYS):
        yield opened


def in_days(days: int) -> date:
    return utcnow().date() + timedelta(days=days)


async def fill(chat: Chat, day: date, user_id: int = HOLDER) -> list[int]:
    """Book both starts of the day for one client; the booking ids."""
    async with chat.sessionmaker() as session:
        if await session.get(User, user_id) is None:
            session.add(User(id=user_id, first_name=f"Holder {user_id}", language="en"))
        service_id = await session.scalar(select(Service.id).limit(1))
        bookings = []
        for minute in (0, 15):
            start = datetime.combine(day, time(9, minute), tzinfo=chat.settings.timezone)
            bookings.append(
                Booking(
                    user_id=user_id,
                    service_id=service_id,
                    specialist_id=FIRST_SPECIALIST,
                    starts_at=start,
                    ends_at=start + timedelta(minutes=15),
                )
            )
        session.add_all(bookings)
        await commit(session)
        return [booking.id for booking in bookings]


async def service_id(chat: Chat) -> int:
    async with chat.sessionmaker() as session:
        found = await session.scalar(select(Service.id).limit(1))
        assert found is not None
        return found


async def join(chat: Chat, client: EmulatedUser, day: date) -> str:
    """Click 🔔 for a day (as the button in the list would): the answer's text, if any."""
    client.send("/start")
    await chat.process()
    data = WaitlistJoin(service_id=await service_id(chat), day=f"{day:%Y%m%d}").pack()
    query = client.click_data(client.messages()[-1], data)
    await chat.process()
    return str(chat.stub.callback_answers[query].get("text") or "")


async def first_waits_for_a_full_day(chat: Chat, stub: BotApiEmulator) -> tuple[date, list[int], EmulatedUser]:
    """A day three days ahead, full with the holder's two bookings, and FIRST waiting for it."""
    day = in_days(3)
    holder_bookings = await fill(chat, day)
    first = stub.user(FIRST, "First")
    await join(chat, first, day)
    return day, holder_bookings, first


def send_slots_taken(monkeypatch: pytest.MonkeyPatch) -> list[None]:
    """From now on, one item per send slot taken from the runtime's rate limiter."""
    limiter = runtime.current().limiter
    taken: list[None] = []
    acquire = limiter.acquire

    async def counted() -> None:
        taken.append(None)
        await acquire()

    monkeypatch.setattr(limiter, "acquire", counted)
    return taken


async def entries(chat: Chat, user_id: int) -> list[date]:
    async with chat.sessionmaker() as session:
        return list(await session.scalars(select(WaitlistEntry.day).where(WaitlistEntry.user_id == user_id)))


def waiting_jobs(chat: Chat, func: str) -> list[list[object]]:
    return [list(job.args) for job in chat.jobs.scheduler.get_jobs() if job.func_ref == func]


async def test_waitlist_a_full_day_is_found_from_the_day_list_joined_once_and_listed_in_my(
    short_chat: Chat, stub: BotApiEmulator
) -> None:
    chat = short_chat
    day = in_days(3)
    await fill(chat, day)
    client = stub.user(FIRST, "Client <b>&")
    client.send("/book")
    await chat.process()
    flow = client.messages()[-1]
    assert f"{day:%d.%m}" not in " ".join(b["text"] for b in flow.buttons()), "a full day is not in the list"
    client.click(flow, "Wait for a full day")
    await chat.process()
    assert "These days are full" in flow.text
    client.click(flow, f"{day:%d.%m}")
    await chat.process()
    assert f"when a time frees up on {day:%d.%m}" in flow.text

    assert "already waiting" in await join(chat, client, day)
    assert await entries(chat, FIRST) == [day]
    client.send("/my")
    await chat.process()
    mine = client.messages()[-1]
    assert "Waiting for a free time" in mine.text
    assert f"{day:%d.%m}" in mine.text
    client.click(mine, f"Stop waiting for {day:%d.%m}")
    await chat.process()
    assert "no longer wait" in mine.text
    assert await entries(chat, FIRST) == []
    assert not stub.errors, stub.errors


async def test_waitlist_refuses_a_day_with_free_times_too_many_days_and_someone_elses_entry(
    short_chat: Chat, stub: BotApiEmulator
) -> None:
    chat = short_chat
    client, other = stub.user(FIRST, "Client"), stub.user(SECOND, "Other")
    await join(chat, client, in_days(2))
    assert await entries(chat, FIRST) == [], "a day with free times has nothing to wait for"
    assert "free times now" in client.messages()[-1].text
    assert "09:00" in [b["text"] for b in client.messages()[-1].buttons()]

    for offset in (2, 3, 4, 5):
        await fill(chat, in_days(offset))
    for offset in (2, 3, 4):
        await join(chat, client, in_days(offset))
    assert "most allowed" in await join(chat, client, in_days(5))
    assert len(await entries(chat, FIRST)) == 3

    async with chat.sessionmaker() as session:
        entry_id = await session.scalar(select(WaitlistEntry.id).where(WaitlistEntry.user_id == FIRST).limit(1))
    other.send("/start")
    await chat.process()
    for data in (WaitlistLeave(entry_id=entry_id).pack(), WaitlistLeave(entry_id=2**31 - 1).pack()):
        query = other.click_data(other.messages()[-1], data)
        await chat.process()
        assert "out of date" in stub.callback_answers[query]["text"]
    assert len(await entries(chat, FIRST)) == 3, "someone else's entry stays"
    assert not stub.errors, stub.errors


async def test_waitlist_a_cancellation_is_offered_once_to_each_and_the_first_to_confirm_gets_it(
    short_chat: Chat, stub: BotApiEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = short_chat
    day = in_days(3)
    holder_bookings = await fill(chat, day)
    first, second = stub.user(FIRST, "First"), stub.user(SECOND, "Second")
    await join(chat, first, day)
    await join(chat, second, day)

    async with chat.sessionmaker() as session:
        await BookingService(session, chat.settings, chat.jobs).cancel(holder_bookings[0], HOLDER)
        await commit(session)
    await after_commit_work_done(chat.sessionmaker)
    assert [day.isoformat()] in [args[0] for args in waiting_jobs(chat, WAITLIST_JOB)], "offered once committed"
    await waitlist.offer_freed_times([day.isoformat()])
    offers = [await who.wait_message("A time has freed up") for who in (first, second)]
    for offer in offers:
        assert [b["text"] for b in offer.buttons()] == ["09:00", f"🔕 Stop waiting for {day:%d.%m}"]
    sent = len(stub.sent)
    slots = send_slots_taken(monkeypatch)
    await waitlist.offer_freed_times([day.isoformat()])
    await waitlist.offer_freed_times(None)
    assert len(stub.sent) == sent, "each waiting client hears of a freed time once"
    assert slots == [], "and no send slot is taken for what was offered already"

    for who, offer in zip((first, second), offers, strict=True):
        who.click(offer, "09:00")
    await chat.process()
    assert all("Confirm?" in offer.text for offer in offers)
    clicks = [who.click(offer, "Confirm") for who, offer in zip((first, second), offers, strict=True)]
    await chat.process()
    assert "Booked" in offers[0].text
    assert "just taken" in stub.callback_answers[clicks[1]]["text"]
    assert "just filled up" in offers[1].text
    assert f"🔔 Tell me when a time frees up on {day:%d.%m}" in [b["text"] for b in offers[1].buttons()]
    assert await entries(chat, FIRST) == [], "the one who got a time no longer waits"
    assert await entries(chat, SECOND) == [day], "the other stays on the list"
    assert not stub.errors, stub.errors


async def test_waitlist_a_time_taken_and_freed_again_is_offered_again_once(
    short_chat: Chat, stub: BotApiEmulator
) -> None:
    chat = short_chat
    day, holder_bookings, first = await first_waits_for_a_full_day(chat, stub)
    nine = datetime.combine(day, time(9), tzinfo=chat.settings.timezone)

    async def holder_cancels(booking_id: int) -> None:
        async with chat.sessionmaker() as session:
            await use_transactions(session, TransactionMode.WRITE)
            await BookingService(session, chat.settings, chat.jobs).cancel(booking_id, HOLDER)
            await commit(session)
        await waitlist.offer_freed_times([day.isoformat()])

    await holder_cancels(holder_bookings[0])
    assert len(first.messages()) == 2, "the greeting and one offer of 09:00"
    await waitlist.offer_freed_times(None)
    assert len(first.messages()) == 2, "the same freed time is not offered twice"

    async with chat.sessionmaker() as session:
        await use_transactions(session, TransactionMode.WRITE)
        taken = await BookingService(session, chat.settings, chat.jobs).book(HOLDER, await service_id(chat), nine)
        await commit(session)
    await waitlist.offer_freed_times(None)
    assert len(first.messages()) == 2

    await holder_cancels(taken.id)
    assert len(first.messages()) == 3, "freed again: offered again"
    assert "09:00" in [b["text"] for b in first.messages()[-1].buttons()]
    await waitlist.offer_freed_times(None)
    assert len(first.messages()) == 3, "and only once"
    assert not stub.errors, stub.errors


async def test_waitlist_an_offer_left_unsent_by_telegram_is_offered_again(
    short_chat: Chat, stub: BotApiEmulator
) -> None:
    chat = short_chat
    day, holder_bookings, first = await first_waits_for_a_full_day(chat, stub)
    async with chat.sessionmaker() as session:
        await BookingService(session, chat.settings, chat.jobs).cancel(holder_bookings[1], HOLDER)
        await commit(session)
    stub.fail("sendMessage", code=400, chat_id=FIRST)
    await waitlist.offer_freed_times([day.isoformat()])
    async with chat.sessionmaker() as session:
        assert await session.scalar(select(func.count(Notification.id))) == 0, "the claim is released"
    await waitlist.offer_freed_times(None)
    offer = await first.wait_message("A time has freed up")
    assert offer.buttons()[0]["text"] == "09:15"


@pytest.mark.parametrize("release", [False, True], ids=["nudge", "release"])
async def test_confirm_by_nudges_or_releases_an_unconfirmed_booking_and_leaves_a_confirmed_one(
    stub: BotApiEmulator, database_url: str, release: bool
) -> None:
    overrides = {"confirm_by": "3h", "release_unconfirmed": str(release).lower()}
    async for chat in open_chat(stub, database_url, **overrides):
        client = stub.user(9100, "Client")
        unconfirmed = await booking_in(chat, 2.2)
        confirmed = await booking_in(chat, 2.8)
        async with chat.sessionmaker() as session:
            await session.execute(update(Booking).where(Booking.id == confirmed).values(confirmed_at=utcnow()))
            await commit(session)

        await reminders.send_reminder(confirmed)
        await reminders.send_reminder(unconfirmed)
        await reminders.send_reminder(unconfirmed)
        async with chat.sessionmaker() as session:
            rows = {b.id: b for b in await session.scalars(select(Booking))}
        assert rows[confirmed].status == BookingStatus.ACTIVE
        if release:
            message = await client.wait_message("not confirmed in time")
            assert rows[unconfirmed].status == BookingStatus.CANCELLED
            assert rows[unconfirmed].cancelled_by == CancelledBy.RELEASE
            assert ["released", unconfirmed] in waiting_jobs(chat, ADMIN_EVENT_JOB)
            assert waiting_jobs(chat, WAITLIST_JOB), "the freed time is offered to those waiting"
        else:
            message = await client.wait_message("Please confirm your visit")
            assert "✅ I'll come" in [b["text"] for b in message.buttons()]
            assert rows[unconfirmed].status == BookingStatus.ACTIVE
        assert len(client.messages()) == 1, "one message, to the unconfirmed booking only, once"
        assert not stub.errors, stub.errors


async def test_confirm_by_a_confirmation_at_the_last_moment_wins_over_the_release(
    stub: BotApiEmulator, database_url: str
) -> None:
    async for chat in open_chat(stub, database_url, confirm_by="3h", release_unconfirmed="true"):
        client = stub.user(9100, "Client")
        booking_id = await booking_in(chat, 2.5)
        async with chat.sessionmaker() as session:
            service = BookingService(session, chat.settings, chat.jobs)
            booking = await service.own_booking(booking_id, 9100)
            assert await service.bookings.release_unconfirmed(booking.id, utcnow()) is True
            assert await service.bookings.release_unconfirmed(booking.id, utcnow()) is False, "once"
            await session.rollback()
            await service.bookings.confirm(booking_id, utcnow())
            await commit(session)
        await reminders.send_reminder(booking_id)
        async with chat.sessionmaker() as session:
            assert (await session.get(Booking, booking_id)).status == BookingStatus.ACTIVE  # type: ignore[union-attr]
        assert client.messages() == []


async def test_waitlist_what_admins_free_is_offered_once_committed(short_chat: Chat, stub: BotApiEmulator) -> None:
    chat = short_chat
    day, blocked_from = in_days(3), in_days(5)
    holder_bookings = await fill(chat, day)
    start = datetime.combine(blocked_from, time(9), tzinfo=chat.settings.timezone)
    async with chat.sessionmaker() as session:
        await use_transactions(session, TransactionMode.WRITE)
        admin = AdminService(session, chat.settings, chat.jobs)
        await admin.cancel_booking(holder_bookings[0], OWNER, None)
        block, _, _ = await admin.block(OWNER, start, start + timedelta(days=1, hours=1), None)
        await commit(session)
    async with chat.sessionmaker() as session:
        await use_transactions(session, TransactionMode.WRITE)
        await AdminService(session, chat.settings, chat.jobs).unblock(OWNER, block.id)
        await commit(session)
    await after_commit_work_done(chat.sessionmaker)
    offered = [args[0] for args in waiting_jobs(chat, WAITLIST_JOB)]
    assert [day.isoformat()] in offered, "an admin's cancellation"
    assert [blocked_from.isoformat(), (blocked_from + timedelta(days=1)).isoformat()] in offered, "an unblock"
