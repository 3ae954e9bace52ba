"""What admins type: too long or out of range gets the same clear answer on both databases, and stores nothing."""

import logging

import pytest
from sqlalchemy import func, select

from database.models import Service
from emulator import BotApiEmulator
from tests.handlers.conftest import OWNER, Chat


async def services(chat: Chat) -> list[tuple[str, str | None]]:
    async with chat.sessionmaker() as session:
        return [(s.name, s.price) for s in await session.scalars(select(Service).order_by(Service.id))]


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        (f"/service_add Beard; 30; {'9' * 40}", "The price is too long: at most 32 characters"),
        (f"/service_add {'N' * 129}; 30", "The name is too long: at most 128 characters"),
        (f"/service_add Beard; 30; 10; {'d' * 1001}", "The description is too long: at most 1000 characters"),
        (f"/service_edit 1 name {'N' * 200}", "The name is too long: at most 128 characters"),
        (f"/service_edit 1 price {'9' * 33}", "The price is too long: at most 32 characters"),
        ("/service_edit 99999999999 name X", "Usage: /service_add"),
        ("/service_edit 99999999999999999999 name X", "Usage: /service_add"),
        (f"/block 31.12 {'r' * 501}", "The reason is too long: at most 500 characters"),
        ("/admins add 99999999999999999999", "Admins\nOwners (ADMIN_IDS): …"),
        ("/book_for 99999999999999999999", "No such client"),
        ("/stats 99999999d", "Usage: /stats"),
        ("/stats 9999999999999999999999h", "Usage: /stats"),
    ],
)
async def test_admin_input_out_of_bounds_is_refused_clearly_and_changes_nothing(
    chat: Chat, stub: BotApiEmulator, caplog: pytest.LogCaptureFixture, command: str, answer: str
) -> None:
    before = await services(chat)
    owner = stub.user(OWNER, "Owner")
    with caplog.at_level(logging.WARNING):
        owner.send(command)
        await chat.process()
    assert owner.messages()[-1].text.startswith(answer), owner.messages()[-1].text
    assert await services(chat) == before
    async with chat.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Service)) == len(before)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert not stub.errors, stub.errors


async def test_admin_input_lengths_at_the_limit_are_stored_whole(chat: Chat, stub: BotApiEmulator) -> None:
    owner = stub.user(OWNER, "Owner")
    owner.send(f"/service_add {'N' * 128}; 30; {'9' * 32}")
    await chat.process()
    assert (await services(chat))[-1] == ("N" * 128, "9" * 32)
