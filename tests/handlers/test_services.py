"""The services as clients and admins see them: in the admins' order, free times for any offered service."""

from datetime import timedelta

from sqlalchemy import update

from database.engine import commit
from database.models import Service, utcnow
from emulator import BotApiEmulator
from tests.handlers.conftest import OWNER, Chat


async def two_services(chat: Chat) -> None:
    """The first service takes an hour; a quarter-hour one is added after it, and put first in the list."""
    async with chat.sessionmaker() as session:
        await session.execute(update(Service).values(name="Long", duration_minutes=60, position=1))
        session.add(Service(name="Short", duration_minutes=15, position=0))
        await commit(session)


async def test_services_clients_see_them_in_the_order_admins_set(chat: Chat, stub: BotApiEmulator) -> None:
    await two_services(chat)
    client = stub.user(9100, "Client")
    client.send("/book")
    await chat.process()
    offered = [b["text"] for b in client.messages()[-1].buttons()][:2]
    assert offered == ["Short · 15′", "Long · 60′"]


async def test_services_the_day_view_offers_every_start_some_service_fits(chat: Chat, stub: BotApiEmulator) -> None:
    await two_services(chat)
    day = (utcnow() + timedelta(days=2)).astimezone(chat.settings.timezone)
    owner = stub.user(OWNER, "Owner")
    owner.send(f"/day {day:%Y-%m-%d}")
    await chat.process()
    free = owner.messages()[-1].text.split("Free: ")[1]
    assert free.endswith("23:30"), "the day ends at 23:59: only the quarter-hour service fits at 23:30"
