from datetime import timedelta
from typing import Any


class BookingError(Exception):
    """A booking request that cannot be granted; the client gets a polite explanation."""


class ServiceUnavailable(BookingError):
    pass


class SpecialistUnavailable(BookingError):
    """The specialist is hidden, does not perform the service, or never existed."""


class SlotNotOffered(BookingError):
    """The start is not a bookable slot (outside hours, too soon, too far ahead, off the grid)."""


class SlotTaken(BookingError):
    """Someone else got the slot first, or it has just been blocked."""


class TooManyBookings(BookingError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"at most {limit} upcoming bookings")
        self.limit = limit


class TooManyWaiting(BookingError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"waiting for at most {limit} days")
        self.limit = limit


class SelfBookingClosed(BookingError):
    """The client may not book by themselves (admins still book for them); `contact` is how to reach the business."""

    def __init__(self, message: str, contact: str | None) -> None:
        super().__init__(message)
        self.contact = contact


class NoShowLimit(SelfBookingClosed):
    """The client missed MAX_NO_SHOWS booked appointments (since an admin last forgave them)."""

    def __init__(self, count: int, contact: str | None) -> None:
        super().__init__(f"{count} no-shows", contact)
        self.count = count


class ClosedByAdmin(SelfBookingClosed):
    def __init__(self, contact: str | None) -> None:
        super().__init__("booking closed by an admin", contact)


class AlreadyBooked(BookingError):
    """The same client already holds this exact booking (a double click on confirm)."""

    def __init__(self, booking: Any) -> None:
        # The client's Booking (database.models); the core knows no model.
        super().__init__(f"booking {booking.id} already exists")
        self.booking = booking


class NotFound(BookingError):
    """Missing, or someone else's: the two are indistinguishable to the sender on purpose."""


class BookingNotFound(NotFound):
    pass


class ClientNotFound(NotFound):
    """No such user: they have never talked to the bot."""


class ServiceNotFound(NotFound):
    pass


class BlockNotFound(NotFound):
    pass


class SpecialistNotFound(NotFound):
    pass


class CalendarFeedNotFound(NotFound):
    pass


class NotAllowed(BookingError):
    """The sender may not do this: only owners manage admins, only admins act for a client."""


class BookingsInTheWay(BookingError):
    """A change of hours would leave bookings outside them, and only admins may decide on those."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} bookings are in the way")
        self.count = count


class BookingNotActive(BookingError):
    pass


class BookingInPast(BookingError):
    pass


class TooLateToChange(BookingError):
    def __init__(self, cutoff: timedelta) -> None:
        super().__init__(f"changes close {cutoff} before the start")
        self.cutoff = cutoff


class InputTooLong(ValueError):
    """Text longer than what is stored for it: refused with the limit, the same on every database."""

    def __init__(self, field: str, limit: int) -> None:
        super().__init__(f"{field} is longer than {limit} characters")
        self.field = field
        self.limit = limit
