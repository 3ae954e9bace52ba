"""Bookings as CSV for spreadsheets: UTF-8 with a BOM, so Excel opens Cyrillic names correctly."""

import csv
import io
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from database.models import Booking, Feedback

COLUMNS = (
    "booking_id",
    "status",
    "service",
    "date",
    "start",
    "end",
    "client_id",
    "client_name",
    "username",
    "booked_at",
    "cancelled_at",
    "cancelled_by",
    "cancel_reason",
    "rating",
    "comment",
)


def bookings_csv(rows: Sequence[tuple[Booking, Feedback | None]], tz: ZoneInfo) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for booking, feedback in rows:
        start, end = booking.starts_at.astimezone(tz), booking.ends_at.astimezone(tz)
        writer.writerow(
            (
                booking.id,
                booking.status,
                booking.service.name,
                f"{start:%Y-%m-%d}",
                f"{start:%H:%M}",
                f"{end:%H:%M}",
                booking.user_id,
                booking.user.full_name,
                booking.user.username or "",
                f"{booking.created_at.astimezone(tz):%Y-%m-%d %H:%M}",
                f"{booking.cancelled_at.astimezone(tz):%Y-%m-%d %H:%M}" if booking.cancelled_at else "",
                booking.cancelled_by or "",
                booking.cancel_reason or "",
                feedback.rating if feedback else "",
                (feedback.comment or "") if feedback else "",
            )
        )
    return buffer.getvalue().encode("utf-8-sig")
