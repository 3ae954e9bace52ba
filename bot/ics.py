"""Calendar files (RFC 5545, written with `icalendar`): one booking for its client, and the subscription feeds.

A booking keeps one UID in every file, and its SEQUENCE grows with each move (and once more when it is
cancelled), so that calendar apps replace the event they have instead of adding a second one.
"""

from collections.abc import Iterable
from datetime import UTC, datetime

from icalendar import Calendar, Event

from bot.admin_texts import admin_text
from bot.texts import Lang, t
from database.models import Booking, BookingStatus
from services.calendars import FeedContent

PRODUCT = "-//Telegram booking bot//EN"


def domain(bot_id: int) -> str:
    """The part of every UID after the @: the bot's id, which never changes (its username may)."""
    return f"bot{bot_id}.telegram-booking"


def feed_path(secret: str) -> str:
    return f"/calendar/{secret}.ics"


def uid(booking: Booking, domain: str) -> str:
    return f"booking-{booking.id}@{domain}"


def booking_event(
    booking: Booking, *, domain: str, summary: str, now: datetime, location: str | None, description: str | None
) -> Event:
    cancelled = booking.status == BookingStatus.CANCELLED
    event = Event()
    event.add("uid", uid(booking, domain))
    event.add("dtstamp", now)
    event.add("dtstart", booking.starts_at.astimezone(UTC))
    event.add("dtend", booking.ends_at.astimezone(UTC))
    event.add("sequence", booking.sequence + (1 if cancelled else 0))
    event.add("summary", summary)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if location:
        event.add("location", location)
    if description:
        event.add("description", description)
    return event


def calendar(events: Iterable[Event], *, name: str | None = None) -> bytes:
    document = Calendar()
    document.add("prodid", PRODUCT)
    document.add("version", "2.0")
    document.add("calscale", "GREGORIAN")
    document.add("method", "PUBLISH")
    if name:
        document.add("x-wr-calname", name)
    for event in events:
        document.add_component(event)
    return document.to_ical()


def client_file(
    booking: Booking, lang: Lang, *, domain: str, bot_username: str, several: bool, location: str | None, now: datetime
) -> bytes:
    """The client's own booking, to open in their calendar app; plain text (calendars show no HTML)."""
    summary = f"{booking.service.name} · {booking.specialist.name}" if several else booking.service.name
    description = t(lang, "ics_description", bot=f"https://t.me/{bot_username}") if bot_username else None
    event = booking_event(booking, domain=domain, summary=summary, now=now, location=location, description=description)
    return calendar([event])


def feed_file(content: FeedContent, lang: Lang, *, domain: str, location: str | None, now: datetime) -> bytes:
    """A subscription feed for staff: each booking with its client, and its specialist in the business's feed."""
    whole_business = content.feed.specialist is None
    events = []
    for booking in content.bookings:
        client = booking.user.full_name or str(booking.user_id)
        summary = f"{booking.service.name} — {client}"
        if whole_business:
            summary += f" ({booking.specialist.name})"
        handle = f"@{booking.user.username}" if booking.user.username else None
        events.append(
            booking_event(booking, domain=domain, summary=summary, now=now, location=location, description=handle)
        )
    name = admin_text(lang, "feed_business") if whole_business else content.feed.specialist.name  # type: ignore[union-attr]
    return calendar(events, name=name)


def file_name(booking: Booking) -> str:
    return f"booking-{booking.id}.ics"
