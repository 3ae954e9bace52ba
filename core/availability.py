from bisect import bisect_right
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Interval:
    start: datetime
    end: datetime

    def overlaps(self, other: "Interval") -> bool:
        return self.start < other.end and other.start < self.end


MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True, slots=True, order=True)
class Shift:
    """Working time that begins on a day, in wall-clock minutes from that day's midnight.

    It may run past midnight (18:00-02:00 is 1080-1560): its times still belong to the day it began on.
    """

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < MINUTES_PER_DAY or not self.start < self.end <= self.start + MINUTES_PER_DAY:
            raise ValueError(f"not a shift: {self.start}-{self.end}")

    @classmethod
    def of(cls, start: time, end: time) -> "Shift":
        """From clock times; an end at or before the start is the next day's (18:00-02:00)."""
        first, last = start.hour * 60 + start.minute, end.hour * 60 + end.minute
        return cls(first, last if last > first else last + MINUTES_PER_DAY)


Shifts = tuple[Shift, ...]


@dataclass(frozen=True, slots=True)
class Week:
    """A weekly template (Monday first; an empty day is a day off) and the dates that differ from it."""

    days: tuple[Shifts, Shifts, Shifts, Shifts, Shifts, Shifts, Shifts]
    exceptions: tuple[tuple[date, Shifts], ...] = ()

    @classmethod
    def uniform(cls, work_days: frozenset[int], start: time, end: time) -> "Week":
        """The same hours on every working day (ISO weekdays, Monday = 1)."""
        shift = (Shift.of(start, end),)
        return cls(tuple(shift if weekday in work_days else () for weekday in range(1, 8)))  # type: ignore[arg-type]

    def on(self, day: date) -> Shifts:
        for exception_day, shifts in self.exceptions:
            if exception_day == day:
                return shifts
        return self.days[day.weekday()]


@dataclass(frozen=True, slots=True)
class WorkSchedule:
    tz: ZoneInfo
    week: Week
    slot_step: timedelta
    days_ahead: int
    min_lead: timedelta

    def with_week(self, week: Week) -> "WorkSchedule":
        return replace(self, week=week)

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def booking_window(self, now: datetime) -> Interval:
        """Starts a client may book: from now + lead up to `days_ahead` days from now."""
        return Interval(now + self.min_lead, now + timedelta(days=self.days_ahead))

    def window_days(self, now: datetime) -> list[date]:
        window = self.booking_window(now)
        first, last = self.local_date(window.start), self.local_date(window.end)
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def opening(self, day: date) -> list[Interval]:
        """The working hours that begin on a local day, in UTC (none on a day off)."""
        midnight = datetime.combine(day, time())
        return [
            Interval(
                _local_to_utc(midnight + timedelta(minutes=shift.start), self.tz),
                _local_to_utc(midnight + timedelta(minutes=shift.end), self.tz),
            )
            for shift in self.week.on(day)
        ]

    def span(self, day: date) -> Interval | None:
        """From the first opening of a day to its last closing (which may be the next morning)."""
        opening = self.opening(day)
        return Interval(opening[0].start, opening[-1].end) if opening else None

    def grid_starts(self, day: date, duration: timedelta) -> list[datetime]:
        """Every start on the slot grid of a working day whose whole service fits in its working hours.

        The grid is laid in wall-clock time from each shift's start; a wall time that does not exist on a
        DST-change day is skipped, and lengths are measured in real (UTC) time.
        """
        return list(self.grid(day, duration))

    def offers(self, start: datetime, duration: timedelta) -> bool:
        """Whether `start` is on the grid: of its own day, or of the day before (a shift past midnight)."""
        day = self.local_date(start)
        return any(start in self.grid_starts(which, duration) for which in (day, day - timedelta(days=1)))

    def grid(self, day: date, duration: timedelta) -> Iterator[datetime]:
        """`grid_starts`, one at a time: a caller that needs only the first free one stops early."""
        midnight = datetime.combine(day, time())
        for shift in self.week.on(day):
            wall = midnight + timedelta(minutes=shift.start)
            wall_end = midnight + timedelta(minutes=shift.end)
            start, end = _local_to_utc(wall, self.tz), _local_to_utc(wall_end, self.tz)
            if end - start == wall_end - wall:
                # No clock change within the shift (nearly every day): wall-clock steps are real steps.
                while start + duration <= end:
                    yield start
                    start += self.slot_step
                continue
            while wall < wall_end:
                if _exists(wall, self.tz):
                    start = _local_to_utc(wall, self.tz)
                    if start + duration <= end:
                        yield start
                wall += self.slot_step


def free_starts(
    schedule: WorkSchedule,
    day: date,
    duration: timedelta,
    busy: Iterable[Interval],
    now: datetime,
    *,
    buffer: timedelta = timedelta(0),
) -> list[datetime]:
    """Starts on `day` a client can book now: on the grid, inside the booking window, and with the service and
    its buffer after it clear of everything busy."""
    return list(_free(schedule, day, duration, buffer, _Busy(busy), schedule.booking_window(now)))


def days_with_free_starts(
    schedule: WorkSchedule,
    duration: timedelta,
    busy: Sequence[Interval],
    now: datetime,
    *,
    buffer: timedelta = timedelta(0),
    among: Collection[date] | None = None,
) -> list[date]:
    """The days of the booking window (or of those `among` them) with at least one free start."""
    window, taken = schedule.booking_window(now), _Busy(busy)
    return [
        day
        for day in schedule.window_days(now)
        if (among is None or day in among) and next(_free(schedule, day, duration, buffer, taken, window), None)
    ]


def _free(
    schedule: WorkSchedule, day: date, duration: timedelta, buffer: timedelta, busy: "_Busy", window: Interval
) -> Iterator[datetime]:
    occupied = duration + buffer
    for start in schedule.grid(day, duration):
        if start > window.end:
            return
        if start >= window.start and not busy.overlaps(start, start + occupied):
            yield start


class _Busy:
    """Busy intervals merged into disjoint ones in time order, so an overlap test is one binary search."""

    def __init__(self, intervals: Iterable[Interval]) -> None:
        merged: list[Interval] = []
        for interval in sorted(intervals, key=lambda item: item.start):
            if merged and interval.start <= merged[-1].end:
                merged[-1] = Interval(merged[-1].start, max(merged[-1].end, interval.end))
            else:
                merged.append(interval)
        self._starts = [interval.start for interval in merged]
        self._ends = [interval.end for interval in merged]

    def overlaps(self, start: datetime, end: datetime) -> bool:
        first_ending_after = bisect_right(self._ends, start)
        return first_ending_after < len(self._starts) and self._starts[first_ending_after] < end


def _exists(wall: datetime, tz: ZoneInfo) -> bool:
    aware = wall.replace(tzinfo=tz)
    return aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall


def _local_to_utc(wall: datetime, tz: ZoneInfo) -> datetime:
    return wall.replace(tzinfo=tz).astimezone(UTC)
