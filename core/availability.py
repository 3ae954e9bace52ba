from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Interval:
    start: datetime
    end: datetime

    def overlaps(self, other: "Interval") -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class WorkSchedule:
    tz: ZoneInfo
    work_days: frozenset[int]
    work_start: time
    work_end: time
    slot_step: timedelta
    days_ahead: int
    min_lead: timedelta

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def booking_window(self, now: datetime) -> Interval:
        """Starts a client may book: from now + lead up to `days_ahead` days from now."""
        return Interval(now + self.min_lead, now + timedelta(days=self.days_ahead))

    def window_days(self, now: datetime) -> list[date]:
        window = self.booking_window(now)
        first, last = self.local_date(window.start), self.local_date(window.end)
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def day_bounds(self, day: date) -> Interval | None:
        """Opening hours of a local day in UTC, or None on a day off."""
        if day.isoweekday() not in self.work_days:
            return None
        return Interval(
            _local_to_utc(datetime.combine(day, self.work_start), self.tz),
            _local_to_utc(datetime.combine(day, self.work_end), self.tz),
        )

    def grid_starts(self, day: date, duration: timedelta) -> list[datetime]:
        """Every start on the slot grid of a working day whose whole service fits in opening hours.

        The grid is laid in wall-clock time from WORK_START; a wall time that does not exist on a
        DST-change day is skipped, and lengths are measured in real (UTC) time.
        """
        return list(self.grid(day, duration))

    def grid(self, day: date, duration: timedelta) -> Iterator[datetime]:
        """`grid_starts`, one at a time: a caller that needs only the first free one stops early."""
        bounds = self.day_bounds(day)
        if bounds is None:
            return
        wall = datetime.combine(day, self.work_start)
        day_end = datetime.combine(day, self.work_end)
        if bounds.end - bounds.start == day_end - wall:
            # No clock change within opening hours (nearly every day): wall-clock steps are real steps.
            start = bounds.start
            while start < bounds.end:
                if start + duration <= bounds.end:
                    yield start
                start += self.slot_step
            return
        while wall < day_end:
            if _exists(wall, self.tz):
                start = _local_to_utc(wall, self.tz)
                if start + duration <= bounds.end:
                    yield start
            wall += self.slot_step


def free_starts(
    schedule: WorkSchedule,
    day: date,
    duration: timedelta,
    busy: Iterable[Interval],
    now: datetime,
) -> list[datetime]:
    """Starts on `day` a client can book now: on the grid, inside the booking window, not busy."""
    return list(_free(schedule, day, duration, _Busy(busy), schedule.booking_window(now)))


def days_with_free_starts(
    schedule: WorkSchedule,
    duration: timedelta,
    busy: Sequence[Interval],
    now: datetime,
) -> list[date]:
    window, taken = schedule.booking_window(now), _Busy(busy)
    return [
        day
        for day in schedule.window_days(now)
        if next(_free(schedule, day, duration, taken, window), None) is not None
    ]


def _free(
    schedule: WorkSchedule, day: date, duration: timedelta, busy: "_Busy", window: Interval
) -> Iterator[datetime]:
    for start in schedule.grid(day, duration):
        if start > window.end:
            return
        if start >= window.start and not busy.overlaps(start, start + duration):
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
