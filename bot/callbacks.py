"""Callback data. All of it is untrusted: handlers re-check ownership and state on every click.

`booking_id` is 0 while booking anew and the booking's id while rescheduling it. `client_id` is 0 when
clients act for themselves, and the client's id when an admin acts for them (re-checked as admin).
"""

from dataclasses import dataclass

from aiogram.filters.callback_data import CallbackData


@dataclass(frozen=True, slots=True)
class FlowScope:
    """Which booking flow a button belongs to: a new booking or a move, for oneself or (admins) a client."""

    booking_id: int = 0
    client_id: int = 0

    def fields(self) -> dict[str, int]:
        return {"booking_id": self.booking_id, "client_id": self.client_id}


OWN_NEW_BOOKING = FlowScope()


class ServicePick(CallbackData, prefix="svc"):
    service_id: int
    booking_id: int = 0
    client_id: int = 0


class DatePick(CallbackData, prefix="day"):
    service_id: int
    day: str  # YYYYMMDD, local
    booking_id: int = 0
    page: int = 0  # of the day's times, when they do not fit on one keyboard
    client_id: int = 0


class TimePick(CallbackData, prefix="tm"):
    service_id: int
    start: int  # Unix seconds
    booking_id: int = 0
    client_id: int = 0


class ConfirmBooking(CallbackData, prefix="ok"):
    service_id: int
    start: int
    booking_id: int = 0
    client_id: int = 0


class FlowBack(CallbackData, prefix="back"):
    to: str  # "services" | "dates"
    service_id: int = 0
    booking_id: int = 0
    client_id: int = 0


class FlowAbort(CallbackData, prefix="stop"):
    pass


class CancelAsk(CallbackData, prefix="cx"):
    booking_id: int


class CancelConfirm(CallbackData, prefix="cxy"):
    booking_id: int


class CancelKeep(CallbackData, prefix="cxn"):
    booking_id: int


class RescheduleStart(CallbackData, prefix="rs"):
    booking_id: int


class Rate(CallbackData, prefix="rate"):
    booking_id: int
    rating: int


class AdminDay(CallbackData, prefix="ad"):
    day: str  # YYYYMMDD, local
    page: int = 0
    fresh: bool = False  # open in a new message (from a notice) instead of turning the page in place


class AdminMenu(CallbackData, prefix="am"):
    item: str  # "today" | "tomorrow" | "blocks" | "jobs" | "health" | "audit"


class AdminCancelAsk(CallbackData, prefix="aca"):
    booking_id: int


class AdminCancelDo(CallbackData, prefix="acd"):
    booking_id: int
    block_id: int = 0  # cancelled because of this block: its reason goes to the client


class AdminKeep(CallbackData, prefix="ak"):
    booking_id: int


class AdminUnblock(CallbackData, prefix="au"):
    block_id: int


class AdminAudit(CallbackData, prefix="aa"):
    page: int


class AdminServiceToggle(CallbackData, prefix="ast"):
    service_id: int


class AdminServiceUp(CallbackData, prefix="asu"):
    service_id: int


class AdminBookFor(CallbackData, prefix="abf"):
    client_id: int


class AdminReschedule(CallbackData, prefix="ars"):
    booking_id: int


class BroadcastSend(CallbackData, prefix="bcs"):
    broadcast_id: int


class BroadcastDrop(CallbackData, prefix="bcd"):
    broadcast_id: int
