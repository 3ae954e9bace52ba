import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from config import Settings
from core.errors import (
    AlreadyBooked,
    BookingNotActive,
    BookingNotFound,
    SlotNotOffered,
    SlotTaken,
    TooLateToChange,
    TooManyBookings,
)
from database.engine import TransactionMode, after_commit_work_done, commit, use_transactions
from database.models import BlockedPeriod, Booking, BookingStatus, Feedback, Service, User, utcnow
from services.booking import BookingService, Sender, TelegramProfile
from services.scheduling import ReminderJobs
from tests.services.conftest import BookingFactory, UnitOfWork, UserFactory


def tomorrow_at(hour: int, minute: int = 0) -> datetime:
    day = (utcnow() + timedelta(days=1)).date()
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


async def count_active(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as session:
        return await session.scalar(select(func.count()).where(Booking.status == BookingStatus.ACTIVE)) or 0


async def test_booking_service_book_schedules_jobs_only_after_commit(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    jobs: ReminderJobs,
    service_id: int,
    add_user: UserFactory,
) -> None:
    user = await add_user(1)
    start = tomorrow_at(12)
    async with sessionmaker() as session:
        service = BookingService(session, settings, jobs)
        booking = await service.book(user, service_id, start)
        assert jobs.scheduler.get_jobs() == [], "nothing scheduled for an uncommitted booking"
        await commit(service.session)
    await after_commit_work_done(sessionmaker)
    first_reminder = start - timedelta(hours=24)
    if first_reminder <= booking.booked_at:
        first_reminder = start - timedelta(hours=2)
    scheduled = jobs.scheduler.get_jobs()
    assert {job.id: job.next_run_time for job in scheduled if job.id.startswith(("reminder_", "feedback_"))} == {
        f"reminder_{booking.id}": first_reminder,
        f"feedback_{booking.id}": start + timedelta(hours=1) + settings.feedback_after,
    }
    notices = [job for job in scheduled if job.func_ref == "services.admin_events:notify_admins"]
    assert [job.args for job in notices] == [("booked", booking.id)]


async def test_booking_service_concurrent_bookings_of_one_slot_yield_one(
    sessionmaker: async_sessionmaker[AsyncSession],
    in_own_session: UnitOfWork,
    service_id: int,
    add_user: UserFactory,
) -> None:
    users = [await add_user(100 + n) for n in range(8)]
    start = tomorrow_at(13)
    results = await asyncio.gather(
        *(in_own_session(lambda s, u=u: s.book(u, service_id, start)) for u in users), return_exceptions=True
    )
    booked = [r for r in results if isinstance(r, Booking)]
    assert len(booked) == 1, results
    assert all(isinstance(r, SlotTaken) for r in results if not isinstance(r, Booking)), results
    assert await count_active(sessionmaker) == 1


async def test_booking_service_database_itself_rejects_overlaps(
    sessionmaker: async_sessionmaker[AsyncSession],
    service_id: int,
    add_user: UserFactory,
    add_booking: BookingFactory,
) -> None:
    user = await add_user(1)
    start = tomorrow_at(10)
    await add_booking(user, start, duration=timedelta(minutes=90))
    with pytest.raises(IntegrityError, match="booking_overlap"):
        await add_booking(user, start + timedelta(hours=1))
    await add_booking(user, start + timedelta(minutes=90))  # touching is not overlapping
    await add_booking(user, start, status=BookingStatus.CANCELLED)  # cancelled ones do not count
    async with sessionmaker() as session:
        booking = await session.get(Booking, 1)
        assert booking is not None
        booking.starts_at, booking.ends_at = start + timedelta(minutes=30), start + timedelta(minutes=120)
        booking.occupied_until = booking.ends_at
        with pytest.raises(IntegrityError, match="booking_overlap"):
            await session.flush()


async def test_booking_service_client_limit_holds_under_concurrency(
    sessionmaker: async_sessionmaker[AsyncSession],
    in_own_session: UnitOfWork,
    settings: Settings,
    service_id: int,
    add_user: UserFactory,
) -> None:
    user = await add_user(1)
    starts = [tomorrow_at(9 + n) for n in range(6)]
    results = await asyncio.gather(
        *(in_own_session(lambda s, st=st: s.book(user, service_id, st)) for st in starts),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Booking) for r in results) == settings.max_active_bookings, results
    assert all(isinstance(r, TooManyBookings) for r in results if not isinstance(r, Booking)), results


async def test_booking_service_same_booking_twice_is_recognised(
    in_own_session: UnitOfWork,
    service_id: int,
    add_user: UserFactory,
) -> None:
    user = await add_user(1)
    first = await in_own_session(lambda s: s.book(user, service_id, tomorrow_at(11)))
    with pytest.raises(AlreadyBooked) as again:
        await in_own_session(lambda s: s.book(user, service_id, tomorrow_at(11)))
    assert again.value.booking.id == first.id


@pytest.mark.parametrize(
    "start",
    [
        pytest.param(lambda: tomorrow_at(12, 30), id="off-grid"),
        pytest.param(lambda: tomorrow_at(7), id="before-opening"),
        pytest.param(lambda: tomorrow_at(18), id="at-closing"),
        pytest.param(
            lambda: utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1), id="inside-lead"
        ),
        pytest.param(lambda: tomorrow_at(12) + timedelta(days=30), id="beyond-days-ahead"),
        pytest.param(lambda: tomorrow_at(12) - timedelta(days=3), id="in-the-past"),
    ],
)
async def test_booking_service_forged_starts_are_not_offered(
    in_own_session: UnitOfWork,
    service_id: int,
    add_user: UserFactory,
    start: Callable[[], datetime],
) -> None:
    user = await add_user(1)
    with pytest.raises(SlotNotOffered):
        await in_own_session(lambda s: s.book(user, service_id, start()))


async def test_booking_service_blocked_periods_are_not_bookable(
    sessionmaker: async_sessionmaker[AsyncSession],
    in_own_session: UnitOfWork,
    service_id: int,
    add_user: UserFactory,
) -> None:
    user = await add_user(1)
    async with sessionmaker() as session:
        session.add(BlockedPeriod(starts_at=tomorrow_at(12), ends_at=tomorrow_at(14), reason="lunch"))
        await session.commit()
    with pytest.raises(SlotTaken):
        await in_own_session(lambda s: s.book(user, service_id, tomorrow_at(13)))
    starts = await in_own_session(lambda s: _starts(s, service_id))
    assert tomorrow_at(12) not in starts
    assert tomorrow_at(13) not in starts
    assert tomorrow_at(14) in starts


async def _starts(service: BookingService, service_id: int) -> list[datetime]:
    offered = await service.active_service(service_id)
    return await service.available_starts(offered, tomorrow_at(0).date(), utcnow())


async def test_booking_service_cancel_checks_owner_state_and_cutoff(
    in_own_session: UnitOfWork,
    jobs: ReminderJobs,
    service_id: int,
    add_user: UserFactory,
    add_booking: BookingFactory,
) -> None:
    owner, other = await add_user(1), await add_user(2)
    booking = await in_own_session(lambda s: s.book(owner, service_id, tomorrow_at(15)))
    assert jobs.scheduler.get_job(f"reminder_{booking.id}") is not None
    with pytest.raises(BookingNotFound):
        await in_own_session(lambda s: s.cancel(booking.id, other))
    with pytest.raises(BookingNotFound):
        await in_own_session(lambda s: s.cancel(99999, owner))
    await in_own_session(lambda s: s.cancel(booking.id, owner))
    assert jobs.scheduler.get_job(f"reminder_{booking.id}") is None
    assert jobs.scheduler.get_job(f"feedback_{booking.id}") is None
    with pytest.raises(BookingNotActive):
        await in_own_session(lambda s: s.cancel(booking.id, owner))
    soon = await add_booking(owner, utcnow() + timedelta(minutes=30))
    with pytest.raises(TooLateToChange):
        await in_own_session(lambda s: s.cancel(soon, owner))


async def test_booking_service_reschedule_keeps_the_id_and_moves_the_jobs(
    in_own_session: UnitOfWork,
    jobs: ReminderJobs,
    settings: Settings,
    service_id: int,
    add_user: UserFactory,
) -> None:
    user = await add_user(1)
    booking = await in_own_session(lambda s: s.book(user, service_id, tomorrow_at(9)))
    moved = await in_own_session(lambda s: s.reschedule(booking.id, user, tomorrow_at(16)))
    assert moved.id == booking.id
    assert moved.starts_at == tomorrow_at(16)
    feedback_job = jobs.scheduler.get_job(f"feedback_{booking.id}")
    assert feedback_job.next_run_time == tomorrow_at(17) + settings.feedback_after
    other = await add_user(2)
    with pytest.raises(BookingNotFound):
        await in_own_session(lambda s: s.reschedule(booking.id, other, tomorrow_at(10)))
    taken = await in_own_session(lambda s: s.book(other, service_id, tomorrow_at(10)))
    assert taken.id != booking.id
    with pytest.raises(SlotTaken):
        await in_own_session(lambda s: s.reschedule(booking.id, user, tomorrow_at(10)))


async def test_booking_service_rating_twice_updates_one_row(
    sessionmaker: async_sessionmaker[AsyncSession],
    in_own_session: UnitOfWork,
    add_user: UserFactory,
    add_booking: BookingFactory,
) -> None:
    user = await add_user(1)
    past = await add_booking(user, utcnow() - timedelta(hours=3))
    future = await add_booking(user, utcnow() + timedelta(hours=3))
    await in_own_session(lambda s: s.rate(past, user, 2))
    await in_own_session(lambda s: s.rate(past, user, 5))
    await in_own_session(lambda s: s.comment(past, user, "  lovely  "))
    async with sessionmaker() as session:
        rows = (await session.scalars(select(Feedback))).all()
    assert [(f.booking_id, f.rating, f.comment) for f in rows] == [(past, 5, "lovely")]
    with pytest.raises(BookingNotActive):
        await in_own_session(lambda s: s.rate(future, user, 5))
    stranger = await add_user(2)
    with pytest.raises(BookingNotFound):
        await in_own_session(lambda s: s.rate(past, stranger, 1))


async def test_booking_service_sender_is_read_when_current_and_saved_once_when_new_or_changed(
    sessionmaker: async_sessionmaker[AsyncSession], in_own_session: UnitOfWork
) -> None:
    profile = TelegramProfile(id=7, first_name="Ann <b>&", username="ann", language="en")

    async def users() -> list[tuple[int, str, str | None, str | None]]:
        async with sessionmaker() as session:
            rows = await session.scalars(select(User))
            return [(user.id, user.first_name, user.username, user.language) for user in rows]

    async def arrive(service: BookingService, profile: TelegramProfile = profile) -> Sender:
        await use_transactions(service.session, TransactionMode.READ)  # as every update begins
        return await service.sender(profile)

    newcomer = await in_own_session(arrive)
    assert not newcomer.saved
    assert (newcomer.user.id, newcomer.user.first_name) == (7, "Ann <b>&"), "a stand-in to read from"
    assert await users() == [], "nothing written until saved"

    async def arrive_and_save(service: BookingService) -> User:
        return await (await arrive(service)).save()

    # A new client's first updates arriving together (a double click): each saves the same row.
    twins = await asyncio.gather(*(in_own_session(arrive_and_save) for _ in range(4)))
    assert {(user.id, user.username) for user in twins} == {(7, "ann")}
    assert await users() == [(7, "Ann <b>&", "ann", "en")]

    known = await in_own_session(arrive)
    assert known.saved, "an unchanged profile is only read"
    renamed = replace(profile, username="ann_b", language="ru")
    changed = await in_own_session(lambda service: arrive(service, renamed))
    assert not changed.saved
    assert (changed.user.username, changed.user.language) == ("ann_b", "ru")
    await in_own_session(lambda service: service.register_user(renamed))
    assert await users() == [(7, "Ann <b>&", "ann_b", "ru")]


async def test_booking_service_a_moved_booking_keeps_its_own_length(
    sessionmaker: async_sessionmaker[AsyncSession],
    in_own_session: UnitOfWork,
    service_id: int,
    add_user: UserFactory,
) -> None:
    user = await add_user(1)
    booking = await in_own_session(lambda s: s.book(user, service_id, tomorrow_at(10)))
    async with sessionmaker() as session:
        await session.execute(update(Service).where(Service.id == service_id).values(duration_minutes=90))
        await session.commit()

    async def starts_for_moving(service: BookingService) -> list[datetime]:
        moving = await service.changeable_booking(booking.id, user, utcnow())
        offered = await service.active_service(service_id)
        return await service.available_starts(offered, tomorrow_at(0).date(), utcnow(), moving=moving)

    starts = await in_own_session(starts_for_moving)
    assert starts[-1] == tomorrow_at(17), "an hour-long booking still fits at 17:00 (the day ends at 18:00)"
    assert tomorrow_at(10) in starts, "its own time is free for it"
    moved = await in_own_session(lambda s: s.reschedule(booking.id, user, tomorrow_at(17)))
    assert moved.ends_at - moved.starts_at == timedelta(hours=1), "the service's new duration is for new bookings"
    new = await in_own_session(lambda s: s.book(user, service_id, tomorrow_at(12)))
    assert new.ends_at - new.starts_at == timedelta(minutes=90)
