"""Specialists: who performs what, their weeks and dates, buffers, and no overlap per specialist — enforced by the
database under concurrency, on both databases."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from config import Settings
from core.errors import SlotNotOffered, SlotTaken, SpecialistUnavailable
from database.engine import commit
from database.models import Booking, BookingStatus, Service, utcnow
from services.admin import AdminService
from services.admin_input import parse_dates_hours, parse_week
from services.booking import BookingService
from services.scheduling import ReminderJobs
from services.staff import StaffService
from tests.services.conftest import FIRST_SPECIALIST, BookingFactory, UnitOfWork, UserFactory, statements

OWNER = 1

Staff = Callable[[Callable[[StaffService], Awaitable[Any]]], Awaitable[Any]]


def day_after_tomorrow() -> date:
    return (utcnow() + timedelta(days=2)).date()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


@pytest.fixture
def staff(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, jobs: ReminderJobs) -> Staff:
    async def run(work: Callable[[StaffService], Awaitable[Any]]) -> Any:
        async with sessionmaker() as session:
            result = await work(StaffService(session, settings, AdminService(session, settings, jobs)))
            await commit(session)
            return result

    return run


@pytest.fixture
async def three(staff: Staff, service_id: int) -> list[int]:
    """The first specialist and two more, all performing every service, all working 09:00-18:00 (UTC)."""
    added = [await staff(lambda s, name=name: s.add(OWNER, name, "all", None)) for name in ("Boris", "Clara")]
    return [FIRST_SPECIALIST, *(item.id for item in added)]


async def test_specialists_eight_clients_confirming_one_time_with_one_specialist_make_one_booking(
    sessionmaker: async_sessionmaker[AsyncSession],
    in_own_session: UnitOfWork,
    service_id: int,
    three: list[int],
    add_user: UserFactory,
) -> None:
    users = [await add_user(100 + n) for n in range(8)]
    start = at(day_after_tomorrow(), 13)
    results = await asyncio.gather(
        *(in_own_session(lambda s, u=u: s.book(u, service_id, start, specialist_id=three[1])) for u in users),
        return_exceptions=True,
    )
    booked = [result for result in results if isinstance(result, Booking)]
    assert len(booked) == 1, results
    assert all(isinstance(result, SlotTaken) for result in results if not isinstance(result, Booking)), results
    assert booked[0].specialist_id == three[1]


async def test_specialists_eight_clients_confirming_one_time_with_any_of_three_free_make_three_bookings(
    sessionmaker: async_sessionmaker[AsyncSession],
    in_own_session: UnitOfWork,
    service_id: int,
    three: list[int],
    add_user: UserFactory,
) -> None:
    users = [await add_user(200 + n) for n in range(8)]
    start = at(day_after_tomorrow(), 14)
    results = await asyncio.gather(
        *(in_own_session(lambda s, u=u: s.book(u, service_id, start)) for u in users), return_exceptions=True
    )
    booked = [result for result in results if isinstance(result, Booking)]
    assert sorted(item.specialist_id for item in booked) == sorted(three), results
    assert all(isinstance(result, SlotTaken) for result in results if not isinstance(result, Booking)), results


async def test_specialists_any_goes_to_the_least_booked_that_day_then_by_order(
    in_own_session: UnitOfWork, service_id: int, three: list[int], add_user: UserFactory, add_booking: BookingFactory
) -> None:
    day = day_after_tomorrow()
    first_client, second_client = await add_user(301), await add_user(302)
    await add_booking(first_client, at(day, 9), specialist_id=three[0])
    booking = await in_own_session(lambda s: s.book(first_client, service_id, at(day, 15)))
    assert booking.specialist_id == three[1], "the first specialist already has a booking that day"
    second = await in_own_session(lambda s: s.book(second_client, service_id, at(day, 16)))
    assert second.specialist_id == three[2]


async def test_specialists_two_specialists_are_booked_at_the_same_time_and_the_database_refuses_a_third_overlap(
    sessionmaker: async_sessionmaker[AsyncSession],
    service_id: int,
    three: list[int],
    add_user: UserFactory,
    add_booking: BookingFactory,
) -> None:
    client = await add_user(401)
    start = at(day_after_tomorrow(), 10)
    await add_booking(client, start, specialist_id=three[0])
    await add_booking(client, start, specialist_id=three[1])
    with pytest.raises(IntegrityError, match="booking_overlap"):
        await add_booking(client, start + timedelta(minutes=30), specialist_id=three[1])


async def test_specialists_a_buffer_after_a_service_is_kept_free_and_the_database_holds_it(
    sessionmaker: async_sessionmaker[AsyncSession],
    in_own_session: UnitOfWork,
    settings: Settings,
    jobs: ReminderJobs,
    service_id: int,
    add_user: UserFactory,
    add_booking: BookingFactory,
) -> None:
    async with sessionmaker() as session:
        service = await session.get(Service, service_id)
        assert service is not None
        service.buffer_minutes = 30
        await commit(session)
    client = await add_user(501)
    day = day_after_tomorrow()
    booking = await in_own_session(lambda s: s.book(client, service_id, at(day, 10)))
    assert booking.ends_at == at(day, 11), "the client sees the appointment, not the buffer"
    assert booking.occupied_until == at(day, 11, 30)
    async with sessionmaker() as session:
        service = await session.get(Service, service_id)
        assert service is not None
        starts = await BookingService(session, settings, jobs).available_starts(service, day, utcnow())
    assert at(day, 9) not in starts, "09:00-10:00 and its buffer would run into the 10:00 booking"
    assert at(day, 11) not in starts
    assert at(day, 12) in starts
    with pytest.raises(IntegrityError, match="booking_overlap"):  # 11:00 is inside the first booking's buffer
        await add_booking(client, at(day, 11), duration=timedelta(minutes=30))


async def test_specialists_weeks_breaks_nights_and_dates_shape_the_free_times(
    sessionmaker: async_sessionmaker[AsyncSession],
    in_own_session: UnitOfWork,
    staff: Staff,
    settings: Settings,
    jobs: ReminderJobs,
    service_id: int,
    three: list[int],
    add_user: UserFactory,
) -> None:
    anna, boris, clara = three
    week = "mon-sun 09:00-13:00 14:00-18:00"
    await staff(lambda s: s.set_week(OWNER, anna, parse_week(week)))
    await staff(lambda s: s.set_week(OWNER, boris, parse_week("mon-sun 18:00-02:00")))
    day = day_after_tomorrow()
    await staff(lambda s: s.set_dates(OWNER, clara, parse_dates_hours(f"{day:%d.%m} vacation", day, day_off=True)))

    async def starts(specialist_id: int, which: date = day) -> list[str]:
        async with sessionmaker() as session:
            service = await session.get(Service, service_id)
            assert service is not None
            found = await BookingService(session, settings, jobs).available_starts(
                service, which, utcnow(), specialist_id=specialist_id
            )
        return [f"{item:%H:%M}" for item in found]

    assert "13:00" not in await starts(anna), "a lunch break"
    assert "14:00" in await starts(anna)
    assert await starts(boris) == ["18:00", "19:00", "20:00", "21:00", "22:00", "23:00", "00:00", "01:00"]
    assert await starts(clara) == [], "a day off"
    assert "09:00" in await starts(clara, day + timedelta(days=1))

    client = await add_user(601)
    night = at(day + timedelta(days=1), 1)
    booking = await in_own_session(lambda s: s.book(client, service_id, night, specialist_id=boris))
    assert booking.starts_at == night, "01:00 belongs to the night that began the day before"
    with pytest.raises(SlotNotOffered):
        await in_own_session(lambda s: s.book(client, service_id, at(day, 13), specialist_id=anna))


async def test_specialists_new_hours_list_the_bookings_they_leave_out_and_cancel_none(
    staff: Staff, service_id: int, add_user: UserFactory, add_booking: BookingFactory
) -> None:
    client = await add_user(701)
    day = day_after_tomorrow()
    inside = await add_booking(client, at(day, 10))
    outside = await add_booking(client, at(day, 16))
    left_out = await staff(lambda s: s.set_week(OWNER, FIRST_SPECIALIST, parse_week("mon-sun 09:00-15:00")))
    assert [booking.id for booking in left_out] == [outside]
    vacation = parse_dates_hours(f"{day:%d.%m} vacation", day, day_off=True)
    left_out = await staff(lambda s: s.set_dates(OWNER, FIRST_SPECIALIST, vacation))
    assert sorted(booking.id for booking in left_out) == sorted([inside, outside])
    assert all(booking.status == BookingStatus.ACTIVE for booking in left_out), "nothing is cancelled silently"


async def test_specialists_a_block_of_one_specialist_leaves_the_others_bookable(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    jobs: ReminderJobs,
    service_id: int,
    three: list[int],
) -> None:
    day = day_after_tomorrow()
    async with sessionmaker() as session:
        admin = AdminService(session, settings, jobs)
        await admin.block(OWNER, at(day, 0), at(day + timedelta(days=1), 0), "training", specialist_id=three[0])
        await commit(session)
    async with sessionmaker() as session:
        service = await session.get(Service, service_id)
        assert service is not None
        booking = BookingService(session, settings, jobs)
        assert await booking.available_starts(service, day, utcnow(), specialist_id=three[0]) == []
        assert at(day, 9) in await booking.available_starts(service, day, utcnow(), specialist_id=three[1])
        assert at(day, 9) in await booking.available_starts(service, day, utcnow())


async def test_specialists_one_who_does_not_perform_the_service_is_refused(
    sessionmaker: async_sessionmaker[AsyncSession],
    in_own_session: UnitOfWork,
    staff: Staff,
    service_id: int,
    add_user: UserFactory,
) -> None:
    async with sessionmaker() as session:
        other_service = Service(name="Beard", duration_minutes=30)
        session.add(other_service)
        await commit(session)
    dora = await staff(lambda s: s.add(OWNER, "Dora", str(other_service.id), None))
    client = await add_user(801)
    start = at(day_after_tomorrow(), 11)
    with pytest.raises(SpecialistUnavailable):
        await in_own_session(lambda s: s.book(client, service_id, start, specialist_id=dora.id))
    booking = await in_own_session(lambda s: s.book(client, other_service.id, start, specialist_id=dora.id))
    assert booking.specialist_id == dora.id
    async with sessionmaker() as session:
        assert (await session.scalars(select(Booking.specialist_id))).all() == [dora.id]


async def test_specialists_the_days_list_reads_bookings_only_of_whom_it_needs_and_where_they_work(
    engine: AsyncEngine, in_own_session: UnitOfWork, service_id: int, three: list[int]
) -> None:
    # Just after midnight the window's last day begins before its first start: nobody can offer it.
    now = datetime.combine(utcnow().date() + timedelta(days=1), time(0, 30), tzinfo=UTC)

    async def days(service: BookingService) -> list[date]:
        chosen = await service.active_service(service_id)
        with statements(engine) as seen:
            found = await service.available_days(chosen, now)
        reads.extend(statement for statement in seen if "FROM bookings" in statement)
        return found

    reads: list[str] = []
    found = await in_own_session(days)
    assert len(found) == 14
    assert len(reads) == 1, "the first specialist decides every day one of them can offer"
