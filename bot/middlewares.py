import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from aiogram.types import User as TelegramUser
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.texts import pick_language
from database.engine import commit, rollback
from services import metrics
from services.admin import AdminService
from services.booking import BookingService, TelegramProfile
from services.config import Settings
from services.scheduling import ReminderJobs

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class UnitOfWorkMiddleware(BaseMiddleware):
    """One session and one transaction per update, committed when the handler is done.

    A handler that is about to promise something ("booked", "cancelled") commits through
    `BookingService.commit` first, so no confirmation ever outlives a crash of its transaction.
    It also registers (or refreshes) the sender, so every handler has `user` and `lang`.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        jobs: ReminderJobs,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.jobs = jobs

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        sender: TelegramUser | None = data.get("event_from_user")
        data["lang"] = pick_language(sender.language_code if sender else None, self.settings.default_language)
        started = time.perf_counter()
        try:
            return await self._handle(handler, event, data)
        finally:
            metrics.UPDATE_SECONDS.observe(time.perf_counter() - started)

    async def _handle(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        sender: TelegramUser | None = data.get("event_from_user")
        async with self.sessionmaker() as session:
            service = BookingService(session, self.settings, self.jobs)
            data["session"] = session
            data["booking_service"] = service
            data["admin_service"] = AdminService(session, self.settings, self.jobs)
            try:
                if sender is not None and not sender.is_bot:
                    data["user"] = await service.register_user(
                        TelegramProfile(
                            id=sender.id,
                            first_name=sender.first_name,
                            last_name=sender.last_name,
                            username=sender.username,
                            language=sender.language_code,
                        )
                    )
                result = await handler(event, data)
            except BaseException:
                await rollback(session)
                raise
            await commit(session)
            return result
