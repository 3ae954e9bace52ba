import re
from datetime import time, timedelta

_DURATION = re.compile(r"^\s*(\d{1,9})\s*([smhd]?)\s*$", re.IGNORECASE)
LONGEST = timedelta(days=3660)  # ten years: longer is a typo, and would overflow a date once added to one
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "": 60}
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
_WEEKDAY_PART = re.compile(r"^\s*([1-7])\s*(?:-\s*([1-7])\s*)?$")


def parse_duration(text: str) -> timedelta:
    """`45s`, `15m`, `2h`, `1d`; a bare number means minutes."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not a duration (use 45s, 15m, 2h, 1d): {text!r}")
    amount, unit = match.groups()
    duration = timedelta(seconds=int(amount) * _UNIT_SECONDS[unit.lower()])
    if duration > LONGEST:
        raise ValueError(f"longer than {LONGEST.days} days: {text!r}")
    return duration


def parse_durations(text: str) -> tuple[timedelta, ...]:
    parts = [part for part in text.split(",") if part.strip()]
    return tuple(parse_duration(part) for part in parts)


def format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_clock(text: str) -> time:
    match = _CLOCK.match(text)
    if not match:
        raise ValueError(f"not a time of day (use HH:MM): {text!r}")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValueError(f"not a time of day (use HH:MM): {text!r}")
    return time(hour, minute)


def parse_weekdays(text: str) -> frozenset[int]:
    """ISO weekdays (1 = Monday): `1-5`, `1,3,5`, `1-3,6`."""
    days: set[int] = set()
    for part in text.split(","):
        match = _WEEKDAY_PART.match(part)
        if not match:
            raise ValueError(f"not a weekday list (use 1-5 or 1,3,5): {text!r}")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if last < first:
            raise ValueError(f"weekday range runs backwards: {part.strip()!r}")
        days.update(range(first, last + 1))
    return frozenset(days)
