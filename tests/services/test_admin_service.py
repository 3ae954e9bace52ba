import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from config import Settings
from core.errors import BookingNotActive, ClientNotFound, NotAllowed
from database.engine import after_commit_work_done, commit
from database.models import AuditEntry, BlockedPeriod, BookingStatus, CancelledBy, utcnow
from services.admin import AdminService
from services.booking import BookingService, TelegramProfile
from services.scheduling import BookingTimes, ReminderJobs
from tests.conftest import make_settings
from tests.services.conftest import BookingFactory, UserFactory

OWNER = 1


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, admin_ids=str(OWNER), work_start="09:00", work_end="18:00")


async def run(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    jobs: ReminderJobs,
    work: Callable[[AdminService], Awaitable[Any]],
) -> Any:
    async with sessionmaker() as session:
        admin = AdminService(session, settings, jobs)
        result = await work(admin)
        await commit(admin.session)
    await after_commit_work_done(sessionmaker)
    return result


async def audit_actions(sessionmaker: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessionmaker() as session:
        return list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


async def test_admin_service_owners_manage_admins_and_are_fixed(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, jobs: ReminderJobs, add_user: UserFactory
) -> None:
    await add_user(OWNER)
    staff = await add_user(2)
    assert await run(sessionmaker, settings, jobs, lambda a: a.add_admin(OWNER, staff)) is True
    assert await run(sessionmaker, settings, jobs, lambda a: a.add_admin(OWNER, staff)) is False
    assert await run(sessionmaker, settings, jobs, lambda a: a.is_admin(staff)) is True
    with pytest.raises(NotAllowed):
        await run(sessionmaker, settings, jobs, lambda a: a.add_admin(staff, 3))
    with pytest.raises(ClientNotFound):
        await run(sessionmaker, settings, jobs, lambda a: a.add_admin(OWNER, 999))
    with pytest.raises(NotAllowed):
        await run(sessionmaker, settings, jobs, lambda a: a.remove_admin(OWNER, OWNER))
    assert await run(sessionmaker, settings, jobs, lambda a: a.remove_admin(OWNER, staff)) is True
    assert await run(sessionmaker, settings, jobs, lambda a: a.is_admin(staff)) is False
    assert await audit_actions(sessionmaker) == ["admin.add", "admin.remove"]


async def test_admin_service_cancels_inside_the_cutoff_and_audits(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    jobs: ReminderJobs,
    add_user: UserFactory,
    add_booking: BookingFactory,
) -> None:
    client = await add_user(5)
    soon = await add_booking(client, utcnow() + timedelta(minutes=20))
    start = utcnow() + timedelta(minutes=20)
    jobs.schedule_feedback(BookingTimes(soon, start, start + timedelta(hours=1), utcnow() - timedelta(days=3)))
    assert jobs.scheduler.get_job(f"feedback_{soon}") is not None
    booking = await run(sessionmaker, settings, jobs, lambda a: a.cancel_booking(soon, OWNER, "ill"))
    assert (booking.status, booking.cancelled_by, booking.cancel_reason) == (
        BookingStatus.CANCELLED,
        CancelledBy.ADMIN,
        "ill",
    )
    assert jobs.scheduler.get_job(f"feedback_{soon}") is None
    with pytest.raises(BookingNotActive):
        await run(sessionmaker, settings, jobs, lambda a: a.cancel_booking(soon, OWNER, None))
    assert await audit_actions(sessionmaker) == ["booking.cancel"]


async def test_admin_service_block_returns_bookings_inside_and_hides_slots(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    jobs: ReminderJobs,
    add_user: UserFactory,
    add_booking: BookingFactory,
) -> None:
    client = await add_user(5)
    day = (utcnow() + timedelta(days=2)).date()
    inside = await add_booking(client, datetime.combine(day, time(10), tzinfo=UTC))
    await add_booking(client, datetime.combine(day, time(15), tzinfo=UTC))
    start, end = datetime.combine(day, time(9), tzinfo=UTC), datetime.combine(day, time(12), tzinfo=UTC)
    block, created, conflicts = await run(sessionmaker, settings, jobs, lambda a: a.block(OWNER, start, end, "repairs"))
    assert created
    assert [b.id for b in conflicts] == [inside]
    again, created, conflicts = await run(sessionmaker, settings, jobs, lambda a: a.block(OWNER, start, end, "again"))
    assert (again.id, again.reason, created) == (block.id, "repairs", False), "a repeat finds the first block"
    assert [b.id for b in conflicts] == [inside]
    agenda = await run(sessionmaker, settings, jobs, lambda a: a.agenda(day))
    assert len(agenda.bookings) == 2
    assert [b.reason for b in agenda.blocks] == ["repairs"]
    await run(sessionmaker, settings, jobs, lambda a: a.unblock(OWNER, block.id))
    assert await run(sessionmaker, settings, jobs, lambda a: a.upcoming_blocks()) == []
    assert await audit_actions(sessionmaker) == ["block.add", "block.remove"]
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count(AuditEntry.id))) == 2


async def test_admin_service_added_admin_is_known_from_the_senders_own_read(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, jobs: ReminderJobs, add_user: UserFactory
) -> None:
    staff = await add_user(2)

    async def listed() -> bool:
        async with sessionmaker() as session:
            sender = await BookingService(session, settings, jobs).sender(TelegramProfile(id=staff, first_name="x"))
            return sender.listed_admin

    assert await listed() is False
    await run(sessionmaker, settings, jobs, lambda a: a.add_admin(OWNER, staff))
    assert await listed() is True
    await run(sessionmaker, settings, jobs, lambda a: a.remove_admin(OWNER, staff))
    assert await listed() is False


async def test_admin_service_the_same_period_blocked_at_once_twice_is_one_block(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, jobs: ReminderJobs
) -> None:
    day = (utcnow() + timedelta(days=3)).date()
    start, end = datetime.combine(day, time(9), tzinfo=UTC), datetime.combine(day, time(12), tzinfo=UTC)
    results = await asyncio.gather(
        *(run(sessionmaker, settings, jobs, lambda a: a.block(OWNER, start, end, None)) for _ in range(4))
    )
    assert sorted(created for _, created, _ in results) == [False, False, False, True]
    assert len({block.id for block, _, _ in results}) == 1
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count(BlockedPeriod.id))) == 1
    assert await audit_actions(sessionmaker) == ["block.add"]
