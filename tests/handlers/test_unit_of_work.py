"""The unit of work: one session per update, committed in one place, before any promise reaches Telegram."""

import asyncio

from sqlalchemy import func, select

from database.models import Booking
from emulator import BotApiEmulator
from tests.e2e.helpers import TIME
from tests.handlers.conftest import Chat


async def bookings(chat: Chat) -> int:
    async with chat.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(Booking)) or 0


async def test_unit_of_work_a_booking_is_committed_before_booked_reaches_telegram(
    chat: Chat, stub: BotApiEmulator
) -> None:
    client = stub.user(9100, "Client")
    client.send("/book")
    await chat.process()
    flow = client.messages()[-1]
    client.click(flow, flow.buttons()[0]["text"])
    await chat.process()
    client.click(flow, next(b["text"] for b in flow.buttons() if TIME.match(b["text"])))
    await chat.process()
    assert "Confirm?" in flow.text

    edit = stub.hold("editMessageText")
    client.click(flow, "✅")
    confirming = asyncio.create_task(chat.process())
    await stub.wait_for(lambda: stub.held == 1, what="'Booked' on its way to Telegram")
    assert "Booked" in flow.text
    assert await bookings(chat) == 1, "committed before the promise left, by another session's count"
    edit.set()
    await confirming
