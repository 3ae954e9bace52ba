from html import escape

from aiogram.types import CallbackQuery

from bot.texts import Lang, t
from core.durations import format_duration
from core.errors import (
    BookingError,
    BookingInPast,
    BookingNotActive,
    NoShowLimit,
    NotAllowed,
    NotFound,
    SelfBookingClosed,
    ServiceUnavailable,
    SlotNotOffered,
    SlotTaken,
    SpecialistUnavailable,
    TooLateToChange,
    TooManyBookings,
    TooManyWaiting,
)


def refusal_text(lang: Lang, error: Exception) -> str:
    if isinstance(error, TooManyBookings):
        return t(lang, "too_many", limit=error.limit)
    if isinstance(error, TooManyWaiting):
        return t(lang, "waitlist_too_many", limit=error.limit)
    if isinstance(error, SelfBookingClosed):
        contact = t(lang, "contact_us", contact=escape(error.contact)) if error.contact else t(lang, "contact_business")
        if isinstance(error, NoShowLimit):
            return t(lang, "no_show_limit", count=error.count, contact=contact)
        return t(lang, "booking_closed", contact=contact)
    if isinstance(error, TooLateToChange):
        return t(lang, "too_late", cutoff=format_duration(error.cutoff))
    keys: list[tuple[type[BookingError], str]] = [
        (SlotTaken, "slot_taken"),
        (SlotNotOffered, "slot_not_offered"),
        (NotFound, "not_found"),
        (NotAllowed, "not_found"),  # to a client, what they may not touch does not exist
        (BookingNotActive, "not_active"),
        (BookingInPast, "in_past"),
        (ServiceUnavailable, "service_unavailable"),
        (SpecialistUnavailable, "specialist_unavailable"),
    ]
    for kind, key in keys:
        if isinstance(error, kind):
            return t(lang, key)
    return t(lang, "stale_button")


async def refuse(callback: CallbackQuery, lang: Lang, error: Exception) -> None:
    """A polite refusal in an alert; the message and the data stay as they were."""
    await callback.answer(refusal_text(lang, error), show_alert=True)
