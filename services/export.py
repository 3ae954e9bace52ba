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
    "specialist",  # last: sheets built on the earlier columns keep working
)


# A cell starting with one of these is a formula to a spreadsheet app (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(value: str) -> str:
    """A cell that a spreadsheet shows as the text it is, never runs: a leading apostrophe, which it hides."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


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
                as_text(booking.service.name),
                f"{start:%Y-%m-%d}",
                f"{start:%H:%M}",
                f"{end:%H:%M}",
                booking.user_id,
                as_text(booking.user.full_name),
                as_text(booking.user.username or ""),
                f"{booking.created_at.astimezone(tz):%Y-%m-%d %H:%M}",
                f"{booking.cancelled_at.astimezone(tz):%Y-%m-%d %H:%M}" if booking.cancelled_at else "",
                booking.cancelled_by or "",
                as_text(booking.cancel_reason or ""),
                feedback.rating if feedback else "",
                as_text(feedback.comment or "") if feedback else "",
                as_text(booking.specialist.name),
            )
        )
    return buffer.getvalue().encode("utf-8-sig")
