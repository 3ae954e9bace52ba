"""A barbershop with three barbers, run from the chat: /staff, /hours, /dayoff, the client's specialist step, a
linked specialist's own day and notices."""

import csv
import io
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from database.models import Booking, Specialist, utcnow
from emulator import BotApiEmulator, EmulatedUser, SentMessage
from tests.e2e.helpers import TIME
from tests.handlers.conftest import OWNER, Chat, open_chat
from tests.handlers.test_questions import forward_from

CLIENT = 9100
ANNA_PHONE = 9200


async def say(chat: Chat, user: EmulatedUser, text: str) -> str:
    user.send(text)
    await chat.process()
    return user.messages()[-1].text


async def send_notices(chat: Chat) -> None:
    """Run the admin notices the updates queued (the harness's scheduler is paused)."""
    for job in chat.jobs.scheduler.get_jobs():
        if job.func_ref == "services.admin_events:notify_admins":
            job.remove()
            await job.func(*job.args, **job.kwargs)


async def book_with(chat: Chat, client: EmulatedUser, choice: str) -> SentMessage:
    """/book with the specialist button `choice`, the second day, its first time, confirmed."""
    client.send("/book")
    await chat.process()
    flow = client.messages()[-1]
    for click in (
        lambda: choice,
        lambda: flow.buttons()[1]["text"],
        lambda: next(b["text"] for b in flow.buttons() if TIME.match(b["text"])),
        lambda: "Confirm",
    ):
        client.click(flow, click())
        await chat.process()
    return flow


async def barbershop(chat: Chat, stub: BotApiEmulator) -> EmulatedUser:
    """The first specialist renamed Anna, and Boris and Clara added: three barbers doing every service."""
    owner = stub.user(OWNER, "Owner")
    assert "Saved: Anna" in await say(chat, owner, "/staff_edit 1 name Anna")
    assert "Added specialist Boris" in await say(chat, owner, "/staff_add Boris; all; Beards <b>&")
    assert "Added specialist Clara" in await say(chat, owner, "/staff_add Clara; 1")
    return owner


async def test_staff_list_card_and_edits_are_audited(chat: Chat, stub: BotApiEmulator) -> None:
    owner = await barbershop(chat, stub)
    listing = await say(chat, owner, "/staff")
    assert "Anna" in listing
    assert "Boris" in listing
    assert "Clara — services 1" in listing
    card = owner.messages()[-1]
    owner.click(card, "👤 Boris")
    await chat.process()
    assert "Beards <b>&" in card.text, "a description is shown as text"
    owner.click(card, "Hide")
    await chat.process()
    assert "🙈" in card.text
    assert "Unknown" not in await say(chat, owner, "/staff_edit 2 services 99")
    assert "ids from /services" in owner.messages()[-1].text
    audit = await say(chat, owner, "/audit")
    assert "staff.add" in audit
    assert "staff.toggle" in audit
    assert not stub.errors, stub.errors


async def test_staff_hours_in_both_languages_and_one_date(chat: Chat, stub: BotApiEmulator) -> None:
    owner = await barbershop(chat, stub)
    saved = await say(chat, owner, "/hours Anna mon-fri 09:00-13:00 14:00-18:00; sat 10:00-15:00; sun off")
    assert "Mon–Fri 09:00–13:00, 14:00–18:00 · Sat 10:00–15:00 · Sun off" in saved
    saved = await say(chat, owner, "/hours Boris пн-вс 18:00-02:00")
    assert "Mon–Sun 18:00–02:00" in saved
    assert "Clara" in await say(chat, owner, "/hours")
    day = (utcnow() + timedelta(days=3)).date()
    assert f"{day:%d.%m}" in await say(chat, owner, f"/hours Clara {day:%Y-%m-%d} 10:00-14:00")
    assert "Could not read" in await say(chat, owner, "/hours Clara mon 25:00-26:00")
    assert "No specialist" in await say(chat, owner, "/hours Zed mon off")


async def test_staff_a_day_off_lists_the_bookings_inside_to_keep_or_cancel(chat: Chat, stub: BotApiEmulator) -> None:
    owner = await barbershop(chat, stub)
    flow = await book_with(chat, stub.user(CLIENT, "Client"), "👤 Anna")
    assert "Booked" in flow.text
    assert "👤 Anna" in flow.text, "with several specialists, the confirmation names one"
    async with chat.sessionmaker() as session:
        booking = (await session.scalars(select(Booking))).one()
    local_day = booking.starts_at.astimezone(chat.settings.timezone)

    answer = await say(chat, owner, f"/dayoff Anna {local_day:%d.%m} vacation")
    assert "outside the new hours" in answer
    decision = owner.messages()[-1]
    assert decision.button("❌")
    assert decision.button("↩️")
    async with chat.sessionmaker() as session:
        assert (await session.get(Booking, booking.id)).status == "active", "nothing is cancelled silently"


async def test_staff_the_client_chooses_a_specialist_or_anyone_and_one_specialist_skips_the_step(
    chat: Chat, stub: BotApiEmulator
) -> None:
    client = stub.user(CLIENT, "Client")
    client.send("/book")
    await chat.process()
    alone = client.messages()[-1]
    assert "Choose a day" in alone.text, "one specialist: today's flow, no specialist step"
    assert not any("👥" in b["text"] for b in alone.buttons())

    await barbershop(chat, stub)
    client.send("/book")
    await chat.process()
    flow = client.messages()[-1]
    assert "Who would you like" in flow.text
    labels = [b["text"] for b in flow.buttons()]
    assert labels[:4] == ["👥 Any specialist", "👤 Anna", "👤 Boris", "👤 Clara"]
    client.click(flow, "Any specialist")
    await chat.process()
    assert "Choose a day" in flow.text
    client.click(flow, "Back")
    await chat.process()
    assert "Who would you like" in flow.text


async def test_staff_a_linked_specialist_sees_only_their_day_and_gets_their_notices(
    chat: Chat, stub: BotApiEmulator
) -> None:
    owner = await barbershop(chat, stub)
    anna = stub.user(ANNA_PHONE, "Anna")
    await say(chat, anna, "/start")
    assert "Forward a message" in await say(chat, owner, "/staff_link 1")
    forward_from(stub, owner, anna)
    await chat.process()
    assert "now linked" in owner.messages()[-1].text
    assert "no longer get" in await say(chat, owner, "/notices off")

    await book_with(chat, stub.user(CLIENT, "Ann's client"), "👤 Anna")
    await book_with(chat, stub.user(CLIENT + 1, "Boris's client"), "👤 Boris")
    await send_notices(chat)

    notices = [m.text for m in anna.messages() if "New booking" in m.text]
    assert len(notices) == 1
    assert "Ann's client" in notices[0]
    assert not [m for m in owner.messages() if "New booking" in m.text], "the owner turned notices off"

    async with chat.sessionmaker() as session:
        anna_day = (await session.scalars(select(Booking).where(Booking.specialist_id == 1))).one().starts_at
    day = anna_day.astimezone(chat.settings.timezone)
    own = await say(chat, anna, f"/day {day:%Y-%m-%d}")
    assert "Ann's client" in own
    assert "Boris's client" not in own
    assert not any("❌" in b["text"] for b in anna.messages()[-1].buttons()), "a specialist changes nothing here"
    assert "only your own days" in await say(chat, anna, f"/dayoff {day:%d.%m}")

    owner.send(f"/day {day:%Y-%m-%d}")
    await chat.process()
    owner.click(owner.messages()[-1], "❌")
    await chat.process()
    owner.click(owner.messages()[-1], "without")
    await chat.process()
    await send_notices(chat)
    assert "Cancelled by an admin" in anna.messages()[-1].text
    assert "/staff" not in await say(chat, anna, "/staff"), "admin commands do not exist for a specialist"


async def test_staff_a_specialist_allowed_to_may_take_a_day_off_where_no_booking_is_in_the_way(
    chat: Chat, stub: BotApiEmulator
) -> None:
    owner = await barbershop(chat, stub)
    anna = stub.user(ANNA_PHONE, "Anna")
    await say(chat, owner, f"/staff_link 1 {ANNA_PHONE}")
    await say(chat, owner, "/staff")
    owner.click(owner.messages()[-1], "👤 Anna")
    await chat.process()
    owner.click(owner.messages()[-1], "Own days off")
    await chat.process()
    day = (utcnow() + timedelta(days=5)).astimezone(chat.settings.timezone)
    assert "off" in await say(chat, anna, f"/dayoff {day:%d.%m} dentist")
    async with chat.sessionmaker() as session:
        assert (await session.get(Specialist, 1)).may_edit_days_off


@pytest.fixture
async def month_chat(stub: BotApiEmulator, database_url: str) -> AsyncIterator[Chat]:
    async for opened in open_chat(stub, database_url, booking_days_ahead=60):
        yield opened


async def test_staff_beyond_two_weeks_the_days_come_as_a_month_grid(month_chat: Chat, stub: BotApiEmulator) -> None:
    client = stub.user(CLIENT, "Client")
    client.send("/book")
    await month_chat.process()
    grid = client.messages()[-1]
    labels = [b["text"] for b in grid.buttons()]
    assert "Mo" in labels
    assert "⏩" in labels, "60 days span more than one month"
    days = [label for label in labels if label.isdigit()]
    assert days
    assert len(grid.buttons()) <= 100
    client.click(grid, "⏩")
    await month_chat.process()
    client.click_data(grid, next(b["callback_data"] for b in grid.buttons() if b["text"].isdigit()))
    await month_chat.process()
    assert "Choose a time" in grid.text
    assert not stub.errors, stub.errors


async def test_staff_a_service_buffer_is_set_in_chat_and_kept_free_after_each_booking(
    chat: Chat, stub: BotApiEmulator
) -> None:
    owner = stub.user(OWNER, "Owner")
    assert "Saved" in await say(chat, owner, "/service_edit 1 buffer 15")
    assert "🧹 +15′" in await say(chat, owner, "/services")
    assert "Usage" in await say(chat, owner, "/service_edit 1 buffer 2000")
    client = stub.user(CLIENT, "Client")
    client.send("/book")
    await chat.process()
    flow = client.messages()[-1]
    client.click(flow, flow.buttons()[1]["text"])
    await chat.process()
    times = [b["text"] for b in flow.buttons() if TIME.match(b["text"])]
    client.click(flow, times[0])
    await chat.process()
    client.click(flow, "Confirm")
    await chat.process()
    async with chat.sessionmaker() as session:
        booking = (await session.scalars(select(Booking))).one()
    assert booking.occupied_until - booking.ends_at == timedelta(minutes=15)


async def test_staff_stats_and_export_are_per_specialist(chat: Chat, stub: BotApiEmulator) -> None:
    owner = await barbershop(chat, stub)
    for client_id, barber in ((CLIENT, "👤 Anna"), (CLIENT + 1, "👤 Boris"), (CLIENT + 2, "👤 Boris")):
        await book_with(chat, stub.user(client_id, f"Client {client_id}"), barber)

    figures = await say(chat, owner, "/stats")
    assert "👤 Anna: made 1" in figures
    assert "👤 Boris: made 2" in figures
    one = await say(chat, owner, "/stats @Boris")
    assert one.startswith("👤 Boris")
    assert "Bookings made: 2" in one
    assert "No specialist" in await say(chat, owner, "/stats @Zed")

    owner.send("/export 01.01.2026 31.12.2030")
    await chat.process()
    rows = list(csv.DictReader(io.StringIO(stub.files[-1].content.decode("utf-8-sig"))))
    assert sorted(row["specialist"] for row in rows) == ["Anna", "Boris", "Boris"]
