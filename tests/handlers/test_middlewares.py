"""The middlewares on their own: a dispatcher with main's middlewares and handlers made for the test."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Dispatcher, Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.middlewares import READ_ONLY, HandlerTransactions, UnitOfWorkMiddleware
from database.engine import TransactionMode, _transaction_mode
from database.models import Service, User
from emulator import BotApiEmulator
from services.catalog import Catalog
from tests.handlers.conftest import Chat


class Failed(Exception):
    pass


seen: dict[str, Any] = {}
router = Router(name="middleware_test")


@router.message(Command("write_then_fail"))
async def write_then_fail(message: Message, session: AsyncSession) -> None:
    session.add(Service(name="Never", duration_minutes=10))
    await session.flush()
    raise Failed


@router.message(Command("write_then_answer"))
async def write_then_answer(message: Message, session: AsyncSession) -> None:
    session.add(Service(name="Committed first", duration_minutes=10))
    await session.flush()
    await message.answer("Saved")
    seen["after_answer"] = session.in_transaction()


@router.message(Command("only_read"), flags=READ_ONLY)
async def only_read(message: Message, session: AsyncSession) -> None:
    seen["mode"] = _transaction_mode.get()
    await message.answer("Read")


@pytest.fixture
async def test_dispatcher(chat: Chat) -> AsyncIterator[Dispatcher]:
    dispatcher = Dispatcher()
    dispatcher.update.outer_middleware(UnitOfWorkMiddleware(chat.sessionmaker, chat.settings, chat.jobs, Catalog()))
    dispatcher.message.middleware(HandlerTransactions())
    dispatcher.include_router(router)
    seen.clear()
    yield dispatcher
    router._parent_router = None


async def feed(chat: Chat, dispatcher: Dispatcher) -> None:
    while chat.stub.updates:
        await dispatcher.feed_raw_update(chat.bot, chat.stub.updates.pop(0))


async def services(chat: Chat, name: str) -> int:
    async with chat.sessionmaker() as session:
        return await session.scalar(select(func.count()).where(Service.name == name)) or 0


async def test_middlewares_a_failing_handler_commits_nothing(
    chat: Chat, stub: BotApiEmulator, test_dispatcher: Dispatcher
) -> None:
    stub.user(9100, "Client").send("/write_then_fail")
    with pytest.raises(Failed):
        await feed(chat, test_dispatcher)
    assert await services(chat, "Never") == 0


async def test_middlewares_work_is_committed_before_telegram_is_called(
    chat: Chat, stub: BotApiEmulator, test_dispatcher: Dispatcher
) -> None:
    answer = stub.hold("sendMessage")
    stub.user(9100, "Client").send("/write_then_answer")
    handling = asyncio.create_task(feed(chat, test_dispatcher))
    await stub.wait_for(lambda: stub.held == 1, what="the answer on its way")
    assert await services(chat, "Committed first") == 1, "visible to another session while Telegram answers"
    answer.set()
    await handling
    assert seen["after_answer"] is False, "no transaction is held open while Telegram answers"


async def test_middlewares_read_only_handlers_read_and_a_new_sender_is_saved_after(
    chat: Chat, stub: BotApiEmulator, test_dispatcher: Dispatcher
) -> None:
    stub.user(9100, "Client").send("/only_read")
    await feed(chat, test_dispatcher)
    if chat.settings.db_kind == "sqlite":
        assert seen["mode"] is TransactionMode.READ, "on SQLite: no write lock taken"
    async with chat.sessionmaker() as session:
        assert await session.get(User, 9100) is not None, "saved once the answer was sent"
