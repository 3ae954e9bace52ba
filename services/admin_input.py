"""Parsing what admins type: days (`2026-11-30`, `30.11`) and periods to block. Pure functions."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.durations import parse_clock

_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DDMM = re.compile(r"^(\d{1,2})\.(\d{1,2})(?:\.(\d{4}))?$")
_TIME_RANGE = re.compile(r"^(\d{1,2}:\d{2})-(\d{1,2}:\d{2})$")


MAX_ROW_ID = 2**31 - 1  # tables' ids are INTEGER on both databases
MAX_USER_ID = 2**52  # Telegram's user ids fit in 52 bits


def parse_id(text: str, maximum: int = MAX_ROW_ID) -> int:
    """A positive id as typed by an admin; one the database could not even look up is an error here."""
    text = text.strip()
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= maximum:
        raise ValueError(f"not an id: {text!r}")
    return int(text)


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime
    end: datetime
    reason: str | None


def parse_day(text: str, today: date) -> date:
    """`YYYY-MM-DD`, or `DD.MM` (the next such date from today), or `DD.MM.YYYY`."""
    text = text.strip()
    try:
        if match := _ISO.match(text):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _DDMM.match(text):
            day, month = int(match[1]), int(match[2])
            if match[3]:
                return date(int(match[3]), month, day)
            candidate = date(today.year, month, day)
            return candidate if candidate >= today else date(today.year + 1, month, day)
    except ValueError:
        pass
    raise ValueError(f"not a date (use YYYY-MM-DD or DD.MM): {text!r}")


def parse_period(text: str, today: date, tz: ZoneInfo) -> Period:
    """`DAY` (the whole day), `DAY DAY` (a range of whole days), or `DAY HH:MM-HH:MM`, then a reason."""
    words = text.split()
    if not words:
        raise ValueError("give a day, two days, or a day and HH:MM-HH:MM")
    first = parse_day(words[0], today)
    rest = words[1:]
    if rest and (match := _TIME_RANGE.match(rest[0])):
        start_clock, end_clock = parse_clock(match[1]), parse_clock(match[2])
        if end_clock <= start_clock:
            raise ValueError("the time range must end after it starts")
        start = _utc(datetime.combine(first, start_clock), tz)
        end = _utc(datetime.combine(first, end_clock), tz)
        rest = rest[1:]
    else:
        last = first
        if rest:
            try:
                last = parse_day(rest[0], today)
                rest = rest[1:]
            except ValueError:
                pass
        if last < first:
            raise ValueError("the range must end on or after its first day")
        start = _utc(datetime.combine(first, time(0)), tz)
        end = _utc(datetime.combine(last + timedelta(days=1), time(0)), tz)
    return Period(start, end, " ".join(rest) or None)


def _utc(wall: datetime, tz: ZoneInfo) -> datetime:
    return wall.replace(tzinfo=tz).astimezone(UTC)
