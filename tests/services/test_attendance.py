"""A client's confirmation that they will come: recorded once, on both databases, and cleared by a move."""

import asyncio

import pytest

from core.errors import BookingNotActive, BookingNotFound
from database.models import utcnow
from services.booking import BookingService
from tests.services.conftest import UnitOfWork, UserFactory
from tests.services.test_booking_service import tomorrow_at


async def test_attendance_eight_concurrent_confirmations_record_one(
    in_own_session: UnitOfWork, service_id: int, add_user: UserFactory
) -> None:
    user = await add_user(1)
    booking = await in_own_session(lambda s: s.book(user, service_id, tomorrow_at(10)))
    results = await asyncio.gather(
        *(in_own_session(lambda s: s.confirm_attendance(booking.id, user)) for _ in range(8))
    )
    assert sorted(recorded for _, recorded in results) == [False] * 7 + [True]
    stamps = {confirmed.confirmed_at for confirmed, _ in results}
    assert len(stamps) == 1, "everyone sees the one confirmation"
    assert None not in stamps


async def test_attendance_a_move_asks_again_and_only_the_client_confirms_an_active_booking(
    in_own_session: UnitOfWork, service_id: int, add_user: UserFactory
) -> None:
    user, other = await add_user(1), await add_user(2)
    booking = await in_own_session(lambda s: s.book(user, service_id, tomorrow_at(10)))
    with pytest.raises(BookingNotFound):
        await in_own_session(lambda s: s.confirm_attendance(booking.id, other))
    await in_own_session(lambda s: s.confirm_attendance(booking.id, user))
    moved = await in_own_session(lambda s: s.reschedule(booking.id, user, tomorrow_at(12)))
    assert moved.confirmed_at is None, "the new time is not confirmed yet"

    async def confirm_again(service: BookingService) -> bool:
        _, recorded = await service.confirm_attendance(booking.id, user)
        return recorded

    assert await in_own_session(confirm_again)
    await in_own_session(lambda s: s.cancel(booking.id, user, utcnow()))
    with pytest.raises(BookingNotActive):
        await in_own_session(lambda s: s.confirm_attendance(booking.id, user))
