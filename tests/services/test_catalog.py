"""The process's snapshot of the catalog: kept while the database's revision stays, read again after any change —
made in chat, by another process, or by hand in SQL — on both databases."""

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from config import Settings
from core.errors import ServiceUnavailable
from database.engine import commit
from database.models import utcnow
from services.admin import AdminService
from services.admin_input import parse_dates_hours, parse_week
from services.booking import BookingService, TelegramProfile
from services.scheduling import ReminderJobs
from services.staff import StaffService
from tests.services.conftest import FIRST_SPECIALIST, UnitOfWork, UserFactory, statements

OWNER = 1
CATALOG_TABLES = ("services", "specialists", "specialist_services", "weekly_shifts", "date_shifts", "blocked_periods")


def in_three_days() -> date:
    return (utcnow() + timedelta(days=3)).date()


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


async def day_starts(service: BookingService, user_id: int, service_id: int, day: date) -> list[datetime]:
    """A booking step as an update takes it: the sender (with the catalog revision), the service, the times."""
    await service.sender(TelegramProfile(id=user_id, first_name=f"User {user_id}", language="en"))
    chosen = await service.active_service(service_id)
    return await service.available_starts(chosen, day, utcnow())


async def test_catalog_a_booking_step_reads_only_the_sender_and_the_bookings_while_the_revision_stays(
    engine: AsyncEngine,
    in_own_session: UnitOfWork,
    service_id: int,
    add_user: UserFactory,
) -> None:
    user = await add_user(10)
    day = in_three_days()

    first = await in_own_session(lambda s: day_starts(s, user, service_id, day))
    with statements(engine) as seen:
        again = await in_own_session(lambda s: day_starts(s, user, service_id, day))
    assert again == first
    tables = [word for statement in seen for word in CATALOG_TABLES if f" {word} " in f" {statement} "]
    assert tables == [], seen
    assert sum(statement.lstrip().upper().startswith("SELECT") for statement in seen) == 2, seen


async def test_catalog_every_change_is_seen_by_the_next_update_whoever_makes_it(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    jobs: ReminderJobs,
    in_own_session: UnitOfWork,
    service_id: int,
    add_user: UserFactory,
) -> None:
    user = await add_user(10)
    day = in_three_days()

    async def starts(service: BookingService) -> list[int]:
        return sorted({start.hour for start in await day_starts(service, user, service_id, day)})

    async def admin(work: Callable[[AdminService, StaffService], Awaitable[object]]) -> None:
        """Another process's unit of work: no catalog of ours."""
        async with sessionmaker() as session:
            admins = AdminService(session, settings, jobs)
            await work(admins, StaffService(session, settings, admins))
            await commit(session)

    assert await in_own_session(starts) == list(range(9, 18))
    await admin(lambda _a, staff: staff.set_week(OWNER, FIRST_SPECIALIST, parse_week("mon-sun 10:00-12:00")))
    assert await in_own_session(starts) == [10, 11]
    await admin(lambda a, _s: a.block(OWNER, at(day, 10), at(day, 11), "meeting"))
    assert await in_own_session(starts) == [11]
    await admin(lambda _a, staff: staff.set_dates(OWNER, FIRST_SPECIALIST, parse_dates_hours(f"{day:%d.%m} off", day)))
    assert await in_own_session(starts) == [], "a day off"
    async with sessionmaker() as session:  # by hand, as an operator might
        await session.execute(text("DELETE FROM date_shifts"))
        await session.execute(text("DELETE FROM blocked_periods"))
        await commit(session)
    assert await in_own_session(starts) == [10, 11]
    await admin(lambda a, _s: a.edit_service(OWNER, service_id, "duration", "120"))
    assert await in_own_session(starts) == [10]
    await admin(lambda a, _s: a.toggle_service(OWNER, service_id))
    with pytest.raises(ServiceUnavailable):
        await in_own_session(starts)


async def test_catalog_a_booking_refers_to_the_sessions_own_service_and_specialist(
    in_own_session: UnitOfWork, service_id: int, add_user: UserFactory
) -> None:
    user = await add_user(10)
    start = at(in_three_days(), 12)
    booking = await in_own_session(lambda s: s.book(user, service_id, start))
    assert (booking.service_id, booking.specialist_id) == (service_id, FIRST_SPECIALIST)
    snapshot = await in_own_session(lambda s: s.snapshot())
    assert booking.service is not snapshot.services[service_id], "the kept one stays out of every session"
    assert booking.specialist is not snapshot.specialists[FIRST_SPECIALIST]
    moved = await in_own_session(lambda s: s.reschedule(booking.id, user, start + timedelta(hours=2)))
    assert moved.starts_at == start + timedelta(hours=2)
