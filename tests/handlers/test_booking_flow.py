"""The booking flow's steps, each resolved once (who acts, which booking, which service) before its handler."""

from sqlalchemy import update

from database.engine import commit
from database.models import Service
from emulator import BotApiEmulator
from tests.e2e.helpers import TIME
from tests.handlers.conftest import Chat


async def test_booking_flow_back_and_forth_between_services_days_and_times(chat: Chat, stub: BotApiEmulator) -> None:
    async with chat.sessionmaker() as session:
        session.add(Service(name="Beard", duration_minutes=30, position=1))
        await commit(session)
    client = stub.user(9100, "Client")
    client.send("/book")
    await chat.process()
    flow = client.messages()[-1]
    assert "Which service" in flow.text
    client.click(flow, "Beard")
    await chat.process()
    assert "Choose a day" in flow.text
    client.click(flow, flow.buttons()[0]["text"])
    await chat.process()
    assert "Choose a time" in flow.text
    assert any(TIME.match(b["text"]) for b in flow.buttons())
    client.click(flow, "Back")
    await chat.process()
    assert "Choose a day" in flow.text
    client.click(flow, "Back")
    await chat.process()
    assert "Which service" in flow.text
    assert not stub.errors, stub.errors


async def test_booking_flow_a_service_hidden_meanwhile_is_refused_at_the_next_click(
    chat: Chat, stub: BotApiEmulator
) -> None:
    client = stub.user(9100, "Client")
    client.send("/book")
    await chat.process()
    flow = client.messages()[-1]
    async with chat.sessionmaker() as session:
        await session.execute(update(Service).values(is_active=False))
        await commit(session)
    query = client.click(flow, flow.buttons()[0]["text"])
    await chat.process()
    assert "no longer offered" in stub.callback_answers[query]["text"]
    assert "Choose a day" in flow.text, "the message stays as it was"
