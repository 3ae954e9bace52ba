import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.dispatcher.flags import get_flag
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject
from aiogram.types import User as TelegramUser
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.texts import pick_language
from config import Settings
from database.engine import TransactionMode, commit, is_unavailable, rollback, use_transactions
from services import metrics
from services.admin import AdminService
from services.booking import BookingService, Sender, TelegramProfile
from services.calendars import CalendarService
from services.catalog import Catalog
from services.scheduling import ReminderJobs
from services.staff import StaffService
from services.waitlist import WaitlistService

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class _OpenUnit:
    task: asyncio.Task[Any] | None
    session: AsyncSession


_open_unit: ContextVar[_OpenUnit | None] = ContextVar("open_unit", default=None)


class UnitOfWorkMiddleware(BaseMiddleware):
    """One session per update, and the one place its work is committed: handlers never commit.

    What a handler did is committed before its first call to Telegram (`CommitBeforeTelegram`), and whatever
    is left when it returns. Every promise a person reads ("booked", "cancelled") is a call to Telegram, so it
    is never made for work that is not committed — if the commit fails, the call is not made and the error
    handler answers instead — and no transaction (SQLite's write lock, a pooled connection) is held while
    Telegram answers. What must follow the commit (jobs, notices) is registered with
    `database.engine.after_commit`. It also knows the sender, so every handler has `user` and `lang`, and
    saves a new or changed one (see `Sender`).
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        jobs: ReminderJobs,
        catalog: Catalog,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.jobs = jobs
        self.catalog = catalog

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        from_user: TelegramUser | None = data.get("event_from_user")
        data["lang"] = pick_language(from_user.language_code if from_user else None, self.settings.default_language)
        started = time.perf_counter()
        try:
            return await self._handle(handler, event, data)
        finally:
            metrics.UPDATE_SECONDS.observe(time.perf_counter() - started)

    async def _handle(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        from_user: TelegramUser | None = data.get("event_from_user")
        async with self.sessionmaker() as session:
            opened = _open_unit.set(_OpenUnit(asyncio.current_task(), session))
            service = BookingService(session, self.settings, self.jobs, self.catalog)
            data["session"] = session
            data["booking_service"] = service
            admin_service = AdminService(session, self.settings, self.jobs)
            data["admin_service"] = admin_service
            data["staff_service"] = StaffService(session, self.settings, admin_service)
            data["calendar_service"] = CalendarService(session, self.settings, admin_service)
            data["waitlist_service"] = WaitlistService(service)
            try:
                # Who the sender is and the routers' filters (the admin check) only read; see HandlerTransactions.
                await use_transactions(session, TransactionMode.READ)
                sender: Sender | None = None
                if from_user is not None and not from_user.is_bot:
                    sender = await service.sender(
                        TelegramProfile(
                            id=from_user.id,
                            first_name=from_user.first_name,
                            last_name=from_user.last_name,
                            username=from_user.username,
                            language=from_user.language_code,
                        )
                    )
                    data["sender"], data["user"] = sender, sender.user
                result = await handler(event, data)
            except BaseException:
                await rollback(session)
                raise
            finally:
                _open_unit.reset(opened)
            await commit(session)
            if sender is not None and not sender.saved:
                await _save_after_reply(sender, session)
            return result


async def _save_after_reply(sender: Sender, session: AsyncSession) -> None:
    # The handler only read, and has answered; if the database cannot take the write now, the sender's
    # next update saves them, rather than this one reporting a failure after its answer.
    try:
        await sender.save()
        await commit(session)
    except Exception as error:
        await rollback(session)
        if not is_unavailable(error):
            raise
        log.warning("User %s not saved yet: %s", sender.profile.id, error)


READ_ONLY = {"read_only": True}  # handler flags: `@router.message(..., flags=READ_ONLY)`


class HandlerTransactions(BaseMiddleware):
    """A handler's transactions begin WRITE, unless it is flagged READ_ONLY (the booking pickers, /my).

    On SQLite a READ transaction takes no write lock, so a hundred clients browsing times do not queue
    behind each other or behind a booking being written. The flag is a promise that the handler writes
    nothing. Registered on the message and callback-query observers, the only ones the routers use.
    """

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not get_flag(data, "read_only"):
            await use_transactions(data["session"], TransactionMode.WRITE)
            if "sender" in data:
                data["user"] = await data["sender"].save()  # before the handler's rows refer to it
        return await handler(event, data)


class CommitBeforeTelegram(BaseRequestMiddleware):
    """Commits the update's pending work before the handler's first call to Telegram.

    A reply may wait a long time (flood limits, retries after a 5xx); on SQLite every other update
    would queue behind the write lock for as long. Calls from other tasks (a job, a task the handler
    started) leave the update's session alone.
    """

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        unit = _open_unit.get()
        if unit is not None and unit.task is asyncio.current_task() and unit.session.in_transaction():
            await commit(unit.session)
        return await make_request(bot, method)
