"""Callback data. All of it is untrusted: handlers re-check ownership and state on every click.

`booking_id` is 0 while booking anew and the booking's id while rescheduling it. `client_id` is 0 when
clients act for themselves, and the client's id when an admin acts for them (re-checked as admin).
`specialist_id` is 0 for any specialist (or when the service has one), else the specialist chosen.
"""

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Annotated, Any, Literal, Self

from aiogram.filters.callback_data import MAX_CALLBACK_LENGTH, CallbackData
from pydantic import Field
from pydantic_core import PydanticUndefined

# Every number in callback data is bounded where it is parsed: a forged one out of range matches no handler
# (the fallback answers "out of date") instead of reaching the database, which would overflow on it.
RowId = Annotated[int, Field(ge=0, le=2**31 - 1)]  # a table's id (0: none), an INTEGER on both databases
UserId = Annotated[int, Field(ge=0, le=2**52)]  # a Telegram user id (0: none); Telegram's fit in 52 bits
Timestamp = Annotated[int, Field(ge=0, le=2**33)]  # Unix seconds, up to the year 2242
Page = Annotated[int, Field(ge=0, le=10_000)]
Day = Annotated[str, Field(pattern=r"^(19|20|21)\d{6}$")]  # YYYYMMDD, local; still checked as a date


def calendar_day(value: str) -> date:
    """A `Day` as the date it names: ValueError for one the pattern let through that is no date (20260231)."""
    return datetime.strptime(value, "%Y%m%d").date()  # noqa: DTZ007 - a calendar date, no time


AdminMenuItem = Literal[
    "today",
    "tomorrow",
    "book_for",
    "blocks",
    "services",
    "feedback",
    "stats",
    "export",
    "broadcast",
    "jobs",
    "health",
    "admins",
    "audit",
]


class Extended(CallbackData, prefix="-"):
    """Callback data that gained trailing fields with defaults: buttons sent before (still in clients' chats)
    are read with those defaults instead of being refused as out of date."""

    @classmethod
    def unpack(cls, value: str) -> Self:
        parts = value.split(cls.__separator__)
        fields = list(cls.model_fields.values())
        missing = fields[len(parts) - 1 :]
        if missing and all(isinstance(field.default, int) for field in missing):
            parts.extend(str(int(field.default)) for field in missing)
        return super().unpack(cls.__separator__.join(parts))


def packed(kind: type[CallbackData], **values: int | str) -> str:
    """What `kind(**values).pack()` gives, without building and dumping a model: for keyboards of many buttons
    (a day's times, the days, a month), whose values are ours, not a click's."""
    prefix, separator, defaults = _layout(kind)
    fields = []
    for name, default in defaults:
        value = values.pop(name, default)
        if value is PydanticUndefined or isinstance(value, bool) or not isinstance(value, int | str):
            raise TypeError(f"{kind.__name__}.{name}={value!r} cannot be packed here")
        encoded = str(value)
        if separator in encoded:
            raise ValueError(f"{separator!r} in {kind.__name__}.{name}={encoded!r}")
        fields.append(encoded)
    if values:
        raise TypeError(f"{kind.__name__} has no fields {sorted(values)}")
    data = separator.join((prefix, *fields))
    if len(data.encode()) > MAX_CALLBACK_LENGTH:
        raise ValueError(f"callback data {data!r} is longer than {MAX_CALLBACK_LENGTH} bytes")
    return data


@cache
def _layout(kind: type[CallbackData]) -> tuple[str, str, tuple[tuple[str, Any], ...]]:
    return kind.__prefix__, kind.__separator__, tuple((name, f.default) for name, f in kind.model_fields.items())


@dataclass(frozen=True, slots=True)
class FlowScope:
    """Which booking flow a button belongs to: a new booking or a move, for oneself or (admins) a client."""

    booking_id: RowId = 0
    client_id: UserId = 0
    specialist_id: RowId = 0

    def fields(self) -> dict[str, int]:
        return {"booking_id": self.booking_id, "client_id": self.client_id, "specialist_id": self.specialist_id}

    def with_specialist(self, specialist_id: int) -> "FlowScope":
        return FlowScope(self.booking_id, self.client_id, specialist_id)


OWN_NEW_BOOKING = FlowScope()


class ServicePick(Extended, prefix="svc"):
    service_id: RowId
    booking_id: RowId = 0
    client_id: UserId = 0
    specialist_id: RowId = 0


class DatePick(Extended, prefix="day"):
    service_id: RowId
    day: Day
    booking_id: RowId = 0
    page: Page = 0  # of the day's times, when they do not fit on one keyboard
    client_id: UserId = 0
    specialist_id: RowId = 0


class TimePick(Extended, prefix="tm"):
    service_id: RowId
    start: Timestamp  # Unix seconds
    booking_id: RowId = 0
    client_id: UserId = 0
    specialist_id: RowId = 0


class ConfirmBooking(Extended, prefix="ok"):
    service_id: RowId
    start: Timestamp
    booking_id: RowId = 0
    client_id: UserId = 0
    specialist_id: RowId = 0


class SpecialistPick(CallbackData, prefix="spc"):
    """A specialist chosen for a service (`specialist_id` 0: anyone)."""

    service_id: RowId
    booking_id: RowId = 0
    client_id: UserId = 0
    specialist_id: RowId = 0


class MonthPage(CallbackData, prefix="mon"):
    """A month of the bookable days, as a calendar grid (when more than two weeks are bookable)."""

    service_id: RowId
    month: Annotated[str, Field(pattern=r"^(19|20|21)\d{2}(0[1-9]|1[0-2])$")]  # YYYYMM
    booking_id: RowId = 0
    client_id: UserId = 0
    specialist_id: RowId = 0


class Noop(CallbackData, prefix="nop"):
    """A button that only shows something (a day with no free time in the month grid)."""


class FlowBack(Extended, prefix="back"):
    to: Literal["services", "specialists", "dates"]
    service_id: RowId = 0
    booking_id: RowId = 0
    client_id: UserId = 0
    specialist_id: RowId = 0


class DatesPage(Extended, prefix="days"):
    """Another page of the bookable days, when they do not fit on one keyboard."""

    service_id: RowId
    page: Page
    booking_id: RowId = 0
    client_id: UserId = 0
    specialist_id: RowId = 0


class FlowAbort(CallbackData, prefix="stop"):
    pass


class WaitlistDays(CallbackData, prefix="wld"):
    """🔔 in the day list: the full days of a service (with a specialist, 0: anyone) a client may wait for."""

    service_id: RowId
    specialist_id: RowId = 0


class WaitlistJoin(CallbackData, prefix="wlj"):
    service_id: RowId
    day: Day
    specialist_id: RowId = 0


class WaitlistLeave(CallbackData, prefix="wll"):
    entry_id: RowId


class AttendConfirm(CallbackData, prefix="att"):
    """A reminder's ✅: the client will come."""

    booking_id: RowId


class CalendarFile(CallbackData, prefix="ics"):
    """📅: the booking's .ics file."""

    booking_id: RowId


class CalendarRevoke(CallbackData, prefix="icr"):
    feed_id: RowId
    page: Page = 0


class CalendarsPage(CallbackData, prefix="icp"):
    page: Page


class CancelAsk(CallbackData, prefix="cx"):
    booking_id: RowId


class CancelConfirm(CallbackData, prefix="cxy"):
    booking_id: RowId


class CancelKeep(CallbackData, prefix="cxn"):
    booking_id: RowId


class RescheduleStart(CallbackData, prefix="rs"):
    booking_id: RowId


class MyPage(CallbackData, prefix="my"):
    page: Page


class Rate(CallbackData, prefix="rate"):
    booking_id: RowId
    rating: Annotated[int, Field(ge=1, le=5)]


class AdminDay(Extended, prefix="ad"):
    day: Day
    page: Page = 0
    fresh: bool = False  # open in a new message (from a notice) instead of turning the page in place
    specialist_id: RowId = 0  # one specialist's day (0: everyone's)


class OwnDay(CallbackData, prefix="od"):
    """A page of a linked specialist's own day."""

    day: Day
    page: Page = 0
    fresh: bool = False  # open in a new message (from a notice)


class VisitMark(CallbackData, prefix="vm"):
    """An admin records whether the client came (from the day view, which it shows again)."""

    booking_id: RowId
    came: bool
    day: Day
    page: Page = 0
    specialist_id: RowId = 0


class OwnVisitMark(CallbackData, prefix="ovm"):
    """A linked specialist records whether their client came."""

    booking_id: RowId
    came: bool
    day: Day
    page: Page = 0


class AdminMenu(CallbackData, prefix="am"):
    item: AdminMenuItem


class AdminCancelAsk(CallbackData, prefix="aca"):
    booking_id: RowId


class AdminCancelDo(CallbackData, prefix="acd"):
    booking_id: RowId
    block_id: RowId = 0  # cancelled because of this block: its reason goes to the client


class AdminKeep(CallbackData, prefix="ak"):
    booking_id: RowId


class AdminUnblock(CallbackData, prefix="au"):
    block_id: RowId


class AdminBlockPage(CallbackData, prefix="abp"):
    """A page of the bookings inside a block, each to keep or cancel."""

    block_id: RowId
    page: Page


class AdminBlocksPage(CallbackData, prefix="abl"):
    page: Page


class AdminServicesPage(CallbackData, prefix="asp"):
    page: Page


class AdminAudit(CallbackData, prefix="aa"):
    page: Page


class AdminServiceToggle(CallbackData, prefix="ast"):
    service_id: RowId


class AdminServiceUp(CallbackData, prefix="asu"):
    service_id: RowId


class AdminBookFor(CallbackData, prefix="abf"):
    client_id: UserId


class ClientCardOpen(CallbackData, prefix="cco"):
    client_id: UserId


class ClientNoteAsk(CallbackData, prefix="ccn"):
    client_id: UserId


class ClientBookingClosed(CallbackData, prefix="ccb"):
    """Close (or open) self-booking: the state wanted, so a repeated click changes nothing."""

    client_id: UserId
    closed: bool


class ClientForgive(CallbackData, prefix="ccf"):
    client_id: UserId


class AdminReschedule(CallbackData, prefix="ars"):
    booking_id: RowId


class BroadcastSend(CallbackData, prefix="bcs"):
    broadcast_id: RowId


class BroadcastDrop(CallbackData, prefix="bcd"):
    broadcast_id: RowId


class StaffPage(CallbackData, prefix="stp"):
    page: Page
    showing: RowId = 0  # open the page with this specialist on it


class StaffCard(CallbackData, prefix="stc"):
    specialist_id: RowId


class StaffToggle(CallbackData, prefix="stt"):
    specialist_id: RowId


class StaffUp(CallbackData, prefix="stu"):
    specialist_id: RowId


class StaffLink(CallbackData, prefix="stl"):
    specialist_id: RowId


class StaffUnlink(CallbackData, prefix="stx"):
    specialist_id: RowId


class StaffOwnDaysOff(CallbackData, prefix="sto"):
    specialist_id: RowId


class StaffOutside(CallbackData, prefix="sth"):
    """A page of a specialist's upcoming bookings that their hours no longer hold, each to keep or cancel."""

    specialist_id: RowId
    page: Page


class HoursPage(CallbackData, prefix="hrp"):
    page: Page
