"""Every list the bot sends, on a busy day: pages under 4096 characters and 100 buttons, and nothing left out."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from database.engine import commit
from database.models import BlockedPeriod, Booking, Service, User
from emulator import MAX_BUTTONS, MAX_TEXT, BotApiEmulator, EmulatedUser, SentMessage
from tests.handlers.conftest import FIRST_SPECIALIST, OWNER, Chat

CLIENTS = 60
NAME = "Alexandra Konstantinopolskaya-Rimskaya"  # an ordinary long name


def day_after_tomorrow() -> datetime:
    return (datetime.now(UTC) + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)


async def busy_day(chat: Chat, clients: int = CLIENTS, *, same_client: bool = False) -> datetime:
    day = day_after_tomorrow()
    async with chat.sessionmaker() as session:
        for n in range(1 if same_client else clients):
            session.add(User(id=50_000 + n, first_name=f"{NAME} {n}", username=f"client_number_{n}", language="en"))
        for n in range(clients):
            start = day + timedelta(minutes=15 * n)
            user_id = 50_000 if same_client else 50_000 + n
            session.add(
                Booking(
                    specialist_id=FIRST_SPECIALIST,
                    user_id=user_id,
                    service_id=1,
                    starts_at=start,
                    ends_at=start + timedelta(minutes=15),
                )
            )
        await commit(session)
    return day


async def every_page(chat: Chat, user: EmulatedUser, first: SentMessage) -> list[str]:
    """Turn the pages with ⏩; each must fit Telegram's limits (the stand-in refuses anything larger)."""
    pages = [first.text]
    while "⏩" in [b["text"] for b in first.buttons()]:
        assert len(first.text) <= MAX_TEXT
        assert len(first.buttons()) <= MAX_BUTTONS
        user.click(first, "⏩")
        await chat.process()
        pages.append(first.text)
    return pages


async def test_lists_block_on_a_busy_day_pages_the_bookings_inside_and_a_repeat_adds_no_twin(
    chat: Chat, stub: BotApiEmulator
) -> None:
    day = await busy_day(chat)
    owner = stub.user(OWNER, "Owner")
    owner.send(f"/block {day:%Y-%m-%d} holiday")
    await chat.process()
    answer = owner.messages()[-1]
    assert answer.text.startswith("⛔ Blocked"), answer.text
    pages = await every_page(chat, owner, answer)
    assert len(pages) > 1
    shown = "\n".join(pages)
    assert all(f"{NAME} {n} @client_number_{n}" in shown for n in range(CLIENTS)), "every booking, once"
    assert not stub.errors, stub.errors

    owner.click(answer, "❌")  # a page's buttons still act on their booking
    await chat.process()
    async with chat.sessionmaker() as session:
        assert await session.scalar(select(func.count()).where(Booking.status == "cancelled")) == 1

    owner.send(f"/block {day:%Y-%m-%d} holiday")
    await chat.process()
    assert owner.messages()[-1].text.startswith("⛔"), owner.messages()[-1].text
    assert "already blocked" in owner.messages()[-1].text
    async with chat.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(BlockedPeriod)) == 1


async def test_lists_day_view_blocks_services_and_my_bookings_come_in_pages(chat: Chat, stub: BotApiEmulator) -> None:
    day = await busy_day(chat, 90, same_client=True)
    async with chat.sessionmaker() as session:
        for n in range(120):
            start = day + timedelta(days=3 + n)
            session.add(BlockedPeriod(starts_at=start, ends_at=start + timedelta(hours=1), reason=f"reason {n}"))
        for n in range(70):
            session.add(Service(name=f"Service {n} with a long name", duration_minutes=30, position=n + 1))
        await commit(session)
    owner, client = stub.user(OWNER, "Owner"), stub.user(50_000, f"{NAME} 0")

    owner.send(f"/day {day:%Y-%m-%d}")
    await chat.process()
    day_view = await every_page(chat, owner, owner.messages()[-1])
    assert sum(page.count(f"{NAME} 0") for page in day_view) == 90

    owner.send("/blocks")
    await chat.process()
    blocks = await every_page(chat, owner, owner.messages()[-1])
    assert all(f"reason {n}" in "\n".join(blocks) for n in range(120))

    owner.send("/services")
    await chat.process()
    services = await every_page(chat, owner, owner.messages()[-1])
    assert all(f"Service {n} with" in "\n".join(services) for n in range(70))

    client.send("/my")
    await chat.process()
    mine = await every_page(chat, client, client.messages()[-1])
    assert sum(page.count("Appointment") for page in mine) == 90
    assert len(mine) > 1
    assert not stub.errors, stub.errors


async def test_lists_a_year_of_bookable_days_comes_in_pages(stub: BotApiEmulator, database_url: str) -> None:
    from tests.handlers.conftest import open_chat

    async for chat in open_chat(stub, database_url, booking_days_ahead=366):
        client = stub.user(9100, "Client")
        client.send("/book")
        await chat.process()
        pages = await every_page(chat, client, client.messages()[-1])
        assert len(pages) > 1
        assert not stub.errors, stub.errors


async def test_lists_of_one_page_have_no_empty_navigation_row(chat: Chat, stub: BotApiEmulator) -> None:
    await busy_day(chat, 1)
    async with chat.sessionmaker() as session:
        start = day_after_tomorrow() + timedelta(days=3)
        session.add(BlockedPeriod(starts_at=start, ends_at=start + timedelta(hours=1)))
        await commit(session)
    owner, client = stub.user(OWNER, "Owner"), stub.user(50_000, f"{NAME} 0")
    for user, command in ((owner, "/blocks"), (owner, "/services"), (client, "/my")):
        user.send(command)
        await chat.process()
        rows = user.messages()[-1].markup["inline_keyboard"]
        assert rows, command
        assert all(rows), f"{command}: an empty keyboard row"
