from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiogram import Bot
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.composer import Composer
from bot.telegram_session import create_bot
from config import Settings
from database.engine import after_commit_work_done, commit, create_engine, create_sessionmaker
from database.migrate import upgrade_to_head
from database.models import Booking, BookingStatus, Service, User, utcnow
from emulator import TOKEN, BotApiEmulator
from services import runtime
from services.booking import BookingService
from services.catalog import Catalog
from services.scheduling import ReminderJobs
from tests.conftest import make_settings

FIRST_SPECIALIST = 1  # made by the migrations, as on a fresh install


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, booking_min_lead="1h", work_start="09:00", work_end="18:00")


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings.database_url)
    await upgrade_to_head(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@pytest.fixture
async def scheduler() -> AsyncIterator[AsyncIOScheduler]:
    scheduler = AsyncIOScheduler(jobstores={"default": MemoryJobStore()}, timezone="UTC")
    scheduler.start(paused=True)
    yield scheduler
    scheduler.shutdown(wait=False)


@pytest.fixture
def jobs(scheduler: AsyncIOScheduler, settings: Settings) -> ReminderJobs:
    return ReminderJobs(scheduler, settings)


@pytest.fixture
async def service_id(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as session:
        service = Service(name="Haircut <b>&", duration_minutes=60)
        session.add(service)
        await commit(session)
        return service.id


UserFactory = Callable[..., Awaitable[int]]


@pytest.fixture
def add_user(sessionmaker: async_sessionmaker[AsyncSession]) -> UserFactory:
    async def add(user_id: int, language: str = "en") -> int:
        async with sessionmaker() as session:
            session.add(User(id=user_id, first_name=f"User {user_id}", language=language))
            await commit(session)
        return user_id

    return add


BookingFactory = Callable[..., Awaitable[int]]


@pytest.fixture
def add_booking(sessionmaker: async_sessionmaker[AsyncSession], service_id: int) -> BookingFactory:
    """Insert a booking directly at any time (tests of jobs need bookings the grid would not offer)."""

    async def add(
        user_id: int,
        starts_at: datetime,
        *,
        booked_at: datetime | None = None,
        duration: timedelta = timedelta(hours=1),
        status: BookingStatus = BookingStatus.ACTIVE,
        specialist_id: int = FIRST_SPECIALIST,
    ) -> int:
        async with sessionmaker() as session:
            booking = Booking(
                user_id=user_id,
                service_id=service_id,
                specialist_id=specialist_id,
                starts_at=starts_at,
                ends_at=starts_at + duration,
                booked_at=booked_at or utcnow(),
                status=status,
            )
            session.add(booking)
            await commit(session)
            return booking.id

    return add


@pytest.fixture
def catalog() -> Catalog:
    return Catalog()


UnitOfWork = Callable[[Callable[[BookingService], Awaitable[Any]]], Awaitable[Any]]


@pytest.fixture
def in_own_session(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, jobs: ReminderJobs, catalog: Catalog
) -> UnitOfWork:
    """Run one unit of work the way an update does: own session, the process's catalog, commit at the end; then
    its side effects."""

    async def run(work: Callable[[BookingService], Awaitable[Any]]) -> Any:
        async with sessionmaker() as session:
            service = BookingService(session, settings, jobs, catalog)
            result = await work(service)
            await commit(service.session)
        await after_commit_work_done(sessionmaker)
        return result

    return run


@pytest.fixture
async def bot(stub: BotApiEmulator) -> AsyncIterator[Bot]:
    bot = create_bot(TOKEN, stub.url)
    yield bot
    await bot.session.close()


@pytest.fixture
def installed_runtime(
    bot: Bot, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, jobs: ReminderJobs
) -> Iterator[runtime.Runtime]:
    rt = runtime.Runtime(bot=bot, sessionmaker=sessionmaker, settings=settings, jobs=jobs, composer=Composer(settings))
    runtime.install(rt)
    yield rt
    runtime.uninstall()


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL the engine sends meanwhile."""
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", note)
