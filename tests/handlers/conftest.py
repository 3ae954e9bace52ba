"""In-process handler tests: the real dispatcher (main's), real databases, the Bot API stand-in over HTTP.

Updates are fed with `Dispatcher.feed_raw_update` instead of being polled by a child process: a test plays
users with the stand-in's `EmulatedUser` as the end-to-end tests do, then `Chat.process()` hands the updates
they queued to the dispatcher and returns once they are handled (and the work after their commits is done).
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import StorageKey
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import main
from bot.composer import Composer
from bot.telegram_session import create_bot
from config import Settings
from database.engine import after_commit_work_done, create_engine, create_sessionmaker
from database.migrate import upgrade_to_head
from emulator import BotApiEmulator
from services import runtime
from services.scheduling import ReminderJobs
from tests.conftest import make_settings

OWNER = 9001
FIRST_SPECIALIST = 1  # made by the migrations, as on a fresh install


@dataclass
class Chat:
    stub: BotApiEmulator
    dispatcher: Dispatcher
    bot: Bot
    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Settings
    jobs: ReminderJobs

    async def process(self) -> None:
        """Handle every update the users have queued, in order, as polling would."""
        while self.stub.updates:
            update = self.stub.updates.pop(0)
            await self.dispatcher.feed_raw_update(self.bot, update)
        await after_commit_work_done(self.sessionmaker)

    def state_key(self, user_id: int) -> StorageKey:
        return StorageKey(bot_id=self.bot.id, chat_id=user_id, user_id=user_id)

    async def question_data(self, user_id: int) -> dict[str, Any]:
        return await self.dispatcher.storage.get_data(self.state_key(user_id))

    async def pending_question(self, user_id: int) -> str | None:
        return await self.dispatcher.storage.get_state(self.state_key(user_id))


async def open_chat(stub: BotApiEmulator, database_url: str, **overrides: Any) -> AsyncIterator[Chat]:
    settings = make_settings(database_url, admin_ids=str(OWNER), slot_minutes=15, **overrides)
    engine = create_engine(settings.database_url)
    await upgrade_to_head(engine)
    sessionmaker = create_sessionmaker(engine)
    await main._ensure_default_service(sessionmaker, settings)
    scheduler = AsyncIOScheduler(jobstores={"default": MemoryJobStore()}, timezone="UTC")
    scheduler.start(paused=True)
    jobs = ReminderJobs(scheduler, settings)
    bot = create_bot(settings.bot_token, stub.url)
    storage, isolation = await main._create_fsm_storage(settings)
    dispatcher = main._create_dispatcher(settings, sessionmaker, jobs, storage, isolation)
    runtime.install(
        runtime.Runtime(bot=bot, sessionmaker=sessionmaker, settings=settings, jobs=jobs, composer=Composer(settings))
    )
    try:
        yield Chat(stub, dispatcher, bot, sessionmaker, settings, jobs)
    finally:
        # The feature routers are module-level, and a router joins one dispatcher only: free them for the next.
        for router in dispatcher.sub_routers:
            router._parent_router = None
        runtime.uninstall()
        await storage.close()
        await bot.session.close()
        scheduler.shutdown(wait=False)
        await engine.dispose()


@pytest.fixture
async def chat(stub: BotApiEmulator, database_url: str) -> AsyncIterator[Chat]:
    async for opened in open_chat(stub, database_url):
        yield opened
