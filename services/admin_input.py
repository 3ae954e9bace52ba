"""Parsing what admins type: days (`2026-11-30`, `30.11`), periods to block, working hours. Pure functions."""

import itertools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.availability import MINUTES_PER_DAY, Shift, Shifts
from core.durations import parse_clock

_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DDMM = re.compile(r"^(\d{1,2})\.(\d{1,2})(?:\.(\d{4}))?$")
_TIME_RANGE = re.compile(r"^(\d{1,2}:\d{2})-(\d{1,2}:\d{2})$")
_SHIFT = re.compile(r"^(\d{1,2})[:.](\d{2})-(\d{1,2})[:.](\d{2})$")
WEEKDAYS = {
    name: number
    for names in (("mon", "tue", "wed", "thu", "fri", "sat", "sun"), ("пн", "вт", "ср", "чт", "пт", "сб", "вс"))
    for number, name in enumerate(names)
}
DAY_OFF = frozenset({"off", "выходной", "-"})
MAX_SHIFTS_PER_DAY = 6


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


@dataclass(frozen=True, slots=True)
class DatesHours:
    """Hours for a range of dates: `shifts` empty is a day off (a vacation when the range is long)."""

    first: date
    last: date
    shifts: Shifts
    note: str | None


def parse_week(text: str) -> dict[int, Shifts]:
    """`mon-fri 09:00-13:00 14:00-18:00; sat 10:00-15:00; sun off`: weekday (Monday = 0) → its shifts.

    Days are `mon`…`sun` or `пн`…`вс`, in ranges (`mon-fri`, `fri-mon` wraps) and lists (`mon,wed`); days not
    named are left out (their hours stay as they were).
    """
    week: dict[int, Shifts] = {}
    for part in filter(None, (part.strip() for part in text.split(";"))):
        days_text, _, hours_text = part.partition(" ")
        shifts = parse_shifts(hours_text)
        for weekday in _weekdays(days_text):
            if weekday in week:
                raise ValueError(f"{days_text}: a day is named twice")
            week[weekday] = shifts
    if not week:
        raise ValueError("name the days and their hours, e.g. mon-fri 09:00-18:00; sat off")
    return week


def parse_shifts(text: str) -> Shifts:
    """`09:00-13:00 14:00-18:00` (commas allowed), `18:00-02:00` (past midnight), `24:00`, or `off`."""
    words = text.replace(",", " ").split()
    if len(words) == 1 and words[0].lower() in DAY_OFF:
        return ()
    if not words:
        raise ValueError("give hours like 09:00-18:00, or off")
    if len(words) > MAX_SHIFTS_PER_DAY:
        raise ValueError(f"at most {MAX_SHIFTS_PER_DAY} intervals a day")
    shifts = sorted(_shift(word) for word in words)
    for earlier, later in itertools.pairwise(shifts):
        if later.start < earlier.end:
            raise ValueError(f"{_clock(earlier.start)}-{_clock(earlier.end)} and the next interval overlap")
    return tuple(shifts)


def parse_dates_hours(text: str, today: date, *, day_off: bool = False) -> DatesHours:
    """`2026-12-31 10:00-14:00` (hours on one date), `24.12-31.12 vacation` (days off), `31.12 off note`."""
    words = text.split()
    if not words:
        raise ValueError("give a date or a range of dates (24.12-31.12)")
    first_text, dash, last_text = words[0].partition("-") if _DDMM_RANGE.match(words[0]) else (words[0], "", "")
    first = parse_day(first_text, today)
    last = parse_day(last_text, first) if dash else first
    if last < first:
        raise ValueError("the range must end on or after its first day")
    if (last - first).days > 366:
        raise ValueError("at most a year at a time")
    rest = words[1:]
    shifts: Shifts = ()
    if not day_off:
        hours = []
        while rest and (_SHIFT.match(rest[0].rstrip(",")) or rest[0].lower() in DAY_OFF):
            hours.append(rest.pop(0))
        if not hours:
            raise ValueError("give the hours (10:00-14:00) or off after the date")
        shifts = parse_shifts(" ".join(hours))
    return DatesHours(first, last, shifts, " ".join(rest) or None)


_DDMM_RANGE = re.compile(r"^\d{1,2}\.\d{1,2}(?:\.\d{4})?-\d{1,2}\.\d{1,2}(?:\.\d{4})?$")


def _weekdays(text: str) -> list[int]:
    days: list[int] = []
    for item in filter(None, text.lower().split(",")):
        first, dash, last = item.partition("-")
        if first not in WEEKDAYS or (dash and last not in WEEKDAYS):
            raise ValueError(f"not a weekday: {item!r} (use mon…sun or пн…вс)")
        start, end = WEEKDAYS[first], WEEKDAYS[last] if dash else WEEKDAYS[first]
        days.extend((start + step) % 7 for step in range((end - start) % 7 + 1))
    if not days:
        raise ValueError("name the days: mon-fri, sat, sun…")
    return days


def _shift(text: str) -> Shift:
    match = _SHIFT.match(text.strip())
    if match is None:
        raise ValueError(f"not hours: {text!r} (use HH:MM-HH:MM)")
    start = _minutes(int(match[1]), int(match[2]))
    end = _minutes(int(match[3]), int(match[4]))
    if start >= MINUTES_PER_DAY:
        raise ValueError(f"{text}: a day's hours start before 24:00")
    if end <= start:
        end += MINUTES_PER_DAY  # past midnight: 18:00-02:00
    if end == start + MINUTES_PER_DAY:
        raise ValueError(f"{text}: an interval is shorter than a day")
    return Shift(start, end)


def _minutes(hours: int, minutes: int) -> int:
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"not a time: {hours:02d}:{minutes:02d}")
    return hours * 60 + minutes


def _clock(minutes: int) -> str:
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"
