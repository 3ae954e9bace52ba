"""Who can be booked when: each specialist's week, dates, blocks and bookings read once, then pure arithmetic."""

from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.availability import Interval, Shift, Week, WorkSchedule, days_with_free_starts, free_starts
from database.models import Specialist
from database.repositories import BlockedPeriods, Bookings, MinuteShifts, Specialists
from services.catalog import Snapshot

ANY_SPECIALIST = 0
CatalogSource = Callable[[], Awaitable[Snapshot | None]]  # the update's snapshot of the catalog


@dataclass(frozen=True, slots=True)
class Bookable:
    """A specialist as the booking rules see them over a stretch of time: their hours and what is taken."""

    specialist: Specialist
    schedule: WorkSchedule
    busy: list[Interval]

    def free_starts(self, day: date, duration: timedelta, buffer: timedelta, now: datetime) -> list[datetime]:
        return free_starts(self.schedule, day, duration, self.busy, now, buffer=buffer)

    def days(
        self, duration: timedelta, buffer: timedelta, now: datetime, among: Collection[date] | None = None
    ) -> list[date]:
        return days_with_free_starts(self.schedule, duration, self.busy, now, buffer=buffer, among=among)

    def works_on(self, day: date) -> bool:
        return bool(self.schedule.week.on(day))

    def is_free(self, start: datetime, duration: timedelta, buffer: timedelta) -> bool:
        end = start + duration + buffer
        return self.schedule.offers(start, duration) and not any(
            item.start < end and start < item.end for item in self.busy
        )


class Availability:
    """Reads what the booking rules need about specialists; `schedule` holds the business's rules (slot step,
    booking window, time zone) and the week of a specialist whose own week was never written (WORK_*)."""

    def __init__(self, session: AsyncSession, schedule: WorkSchedule, catalog: CatalogSource | None = None) -> None:
        self.schedule = schedule
        self.catalog = catalog
        self.specialists = Specialists(session)
        self.bookings = Bookings(session)
        self.blocked = BlockedPeriods(session)
        self._performing: dict[int, Sequence[Specialist]] = {}  # an update asks several times; one read

    async def _snapshot(self) -> Snapshot | None:
        return await self.catalog() if self.catalog is not None else None

    async def performing(self, service_id: int, specialist_id: int = ANY_SPECIALIST) -> Sequence[Specialist]:
        """Who may be booked for a service: one specialist (if they perform it) or everyone who does. From the
        catalog's snapshot these are detached: to read, or to merge into the session before a write."""
        everyone = self._performing.get(service_id)
        if everyone is None:
            snapshot = await self._snapshot()
            everyone = self._performing[service_id] = (
                snapshot.performing(service_id)
                if snapshot is not None
                else await self.specialists.performing(service_id)
            )
        if specialist_id == ANY_SPECIALIST:
            return everyone
        return [item for item in everyone if item.id == specialist_id]

    async def bookable(
        self, specialists: Sequence[Specialist], start: datetime, end: datetime, *, exclude_id: int | None = None
    ) -> list[Bookable]:
        """The specialists with their hours around [start, end) (from the day before: a shift past midnight) and
        their busy times that overlap it."""
        found = await self.hours(specialists, start, end)
        await self.add_bookings(found, start, end, exclude_id=exclude_id)
        return found

    async def hours(self, specialists: Sequence[Specialist], start: datetime, end: datetime) -> list[Bookable]:
        """The specialists with their hours over [start, end) and, as busy, the blocks only: their bookings are
        read by `add_bookings`, for those and when they are needed."""
        if not specialists:
            return []
        ids = [item.id for item in specialists]
        first, last = self.schedule.local_date(start) - timedelta(days=1), self.schedule.local_date(end)
        blocks_from, blocks_to = start - timedelta(days=1), end + timedelta(days=1)
        snapshot = await self._snapshot()
        if snapshot is not None:
            weeks = snapshot.weeks
            dates = snapshot.date_exceptions(ids, first, last)
            blocks = snapshot.blocks_overlapping(blocks_from, blocks_to, ids)
        else:
            weeks = await self.specialists.weeks([item.id for item in specialists if item.hours_set])
            dates = blocks = None
        if dates is None:
            dates = await self.specialists.date_exceptions(ids, first, last)
        if blocks is None:
            blocks = await self.blocked.times_overlapping(blocks_from, blocks_to, ids)
        busy: dict[int, list[Interval]] = {item: [] for item in ids}
        for whose, starts_at, ends_at in blocks:
            for specialist_id in ids if whose is None else (whose,):
                busy[specialist_id].append(Interval(starts_at, ends_at))
        return [
            Bookable(
                specialist,
                self.schedule.with_week(self.week(specialist, weeks.get(specialist.id), dates.get(specialist.id))),
                busy[specialist.id],
            )
            for specialist in specialists
        ]

    async def add_bookings(
        self, bookable: Sequence[Bookable], start: datetime, end: datetime, *, exclude_id: int | None = None
    ) -> None:
        """Add to their busy times the specialists' active bookings that overlap [start, end)."""
        if not bookable:
            return
        by_id = {item.specialist.id: item.busy for item in bookable}
        for specialist_id, starts_at, occupied_until in await self.bookings.occupied_between(
            list(by_id), start, end, exclude_id=exclude_id
        ):
            by_id[specialist_id].append(Interval(starts_at, occupied_until))

    def week(
        self, specialist: Specialist, days: list[MinuteShifts] | None, dates: dict[date, MinuteShifts] | None
    ) -> Week:
        template = self.schedule.week.days
        if specialist.hours_set:
            template = tuple(_shifts(day) for day in days or [() for _ in range(7)])  # type: ignore[assignment]
        exceptions = tuple((day, _shifts(shifts)) for day, shifts in (dates or {}).items())
        return Week(template, exceptions)


def _shifts(minutes: MinuteShifts) -> tuple[Shift, ...]:
    return tuple(Shift(start, end) for start, end in minutes)
