"""Business figures for /stats, and the bookings-per-day chart."""

import io
import os
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from database.models import Booking, BookingStatus, CancelledBy, Feedback, utcnow


@dataclass(frozen=True)
class Stats:
    start: datetime
    end: datetime
    made: int
    cancelled: int
    cancelled_by_clients: int
    completed: int
    no_shows: int
    no_show_rate: float | None  # of the visits whose outcome is known: completed or no-show
    confirmation_rate: float | None  # of the period's visits, those the client confirmed from a reminder
    rating_average: float | None
    rating_count: int
    busiest_days: list[tuple[int, int]]  # (ISO weekday, bookings)
    busiest_hours: list[tuple[int, int]]  # (local hour, bookings)
    clients: int
    returning_clients: int
    daily: list[tuple[date, int, int]]  # (local day, bookings made, cancellations)
    per_specialist: list["SpecialistFigures"]


@dataclass(frozen=True)
class SpecialistFigures:
    name: str
    made: int
    cancelled: int
    completed: int
    no_show_rate: float | None
    confirmation_rate: float | None
    rating_average: float | None


async def collect(
    session: AsyncSession, start: datetime, end: datetime, tz: ZoneInfo, specialist_id: int | None = None
) -> Stats:
    """The period's figures: the whole business's (with a line per specialist), or one specialist's."""
    in_period = or_(
        Booking.created_at.between(start, end),
        Booking.cancelled_at.between(start, end),
        Booking.starts_at.between(start, end),
    )
    query = select(Booking).where(in_period).options(joinedload(Booking.specialist))
    if specialist_id is not None:
        query = query.where(Booking.specialist_id == specialist_id)
    bookings = (await session.scalars(query)).all()
    made = [b for b in bookings if start <= b.created_at <= end]
    cancelled = [b for b in bookings if b.cancelled_at is not None and start <= b.cancelled_at <= end]
    visits = [b for b in bookings if start <= b.starts_at <= end and b.status != BookingStatus.CANCELLED]
    no_shows = [b for b in visits if b.status == BookingStatus.NO_SHOW]
    ended_by = min(end, utcnow())  # a period reaching into the future: what is ahead has not taken place
    completed = [
        b for b in visits if b.status == BookingStatus.COMPLETED or (b.ends_at <= ended_by and b not in no_shows)
    ]
    rated = (
        await session.execute(
            select(Booking.specialist_id, Feedback.rating)
            .join(Booking, Booking.id == Feedback.booking_id)
            .where(Feedback.updated_at.between(start, end))
        )
    ).all()
    if specialist_id is not None:
        rated = [row for row in rated if row[0] == specialist_id]
    ratings = [rating for _, rating in rated]
    clients = {b.user_id for b in visits}
    history = Counter(
        await session.scalars(
            select(Booking.user_id).where(Booking.user_id.in_(clients), Booking.status != BookingStatus.CANCELLED)
        )
    )
    local_starts = [b.starts_at.astimezone(tz) for b in visits]
    first_day = start.astimezone(tz).date()
    days = [first_day + timedelta(days=n) for n in range((end.astimezone(tz).date() - first_day).days + 1)]
    made_per_day = Counter(b.created_at.astimezone(tz).date() for b in made)
    cancelled_per_day = Counter(b.cancelled_at.astimezone(tz).date() for b in cancelled if b.cancelled_at)
    return Stats(
        start=start,
        end=end,
        made=len(made),
        cancelled=len(cancelled),
        cancelled_by_clients=sum(b.cancelled_by == CancelledBy.CLIENT for b in cancelled),
        completed=len(completed),
        no_shows=len(no_shows),
        no_show_rate=_share(len(no_shows), len(completed) + len(no_shows)),
        confirmation_rate=_share(sum(b.confirmed_at is not None for b in visits), len(visits)),
        rating_average=statistics.fmean(ratings) if ratings else None,
        rating_count=len(ratings),
        busiest_days=Counter(s.isoweekday() for s in local_starts).most_common(3),
        busiest_hours=Counter(s.hour for s in local_starts).most_common(3),
        clients=len(clients),
        returning_clients=sum(1 for client in clients if history[client] > 1),
        daily=[(day, made_per_day[day], cancelled_per_day[day]) for day in days],
        per_specialist=_per_specialist(made, cancelled, visits, completed, no_shows, rated)
        if specialist_id is None
        else [],
    )


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _per_specialist(
    made: list[Booking],
    cancelled: list[Booking],
    visits: list[Booking],
    completed: list[Booking],
    no_shows: list[Booking],
    rated: Sequence[Any],
) -> list[SpecialistFigures]:
    """A line per specialist who had anything in the period, when there is more than one."""
    people = {b.specialist_id: b.specialist for b in (*made, *cancelled, *visits)}
    if len(people) < 2:
        return []
    ratings: dict[int, list[int]] = {}
    for specialist_id, rating in rated:
        ratings.setdefault(specialist_id, []).append(rating)
    return [
        SpecialistFigures(
            name=person.name,
            made=sum(b.specialist_id == key for b in made),
            cancelled=sum(b.specialist_id == key for b in cancelled),
            completed=sum(b.specialist_id == key for b in completed),
            no_show_rate=_share(
                sum(b.specialist_id == key for b in no_shows),
                sum(b.specialist_id == key for b in (*completed, *no_shows)),
            ),
            confirmation_rate=_share(
                sum(b.specialist_id == key and b.confirmed_at is not None for b in visits),
                sum(b.specialist_id == key for b in visits),
            ),
            rating_average=statistics.fmean(ratings[key]) if ratings.get(key) else None,
        )
        for key, person in sorted(people.items(), key=lambda item: (item[1].position, item[0]))
    ]


def font_cache_ready() -> bool:
    """Whether matplotlib's font cache is built, found where matplotlib keeps it, without importing it."""
    if configured := os.environ.get("MPLCONFIGDIR"):
        folder = Path(configured)
    else:
        folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "matplotlib"
    return any(folder.glob("fontlist-*.json"))


def prepare_charts() -> None:
    """Load matplotlib, building its font cache if there is none: seconds of work on a fresh install (tens of
    seconds with many fonts), which would otherwise fall on the first /stats."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.font_manager


def chart_png(daily: list[tuple[date, int, int]], title: str) -> bytes:
    """Bookings made and cancelled per day, as a PNG. CPU-bound: call it off the event loop."""
    # Imported here, not at start-up: matplotlib is slow to import, and only /stats needs it.
    prepare_charts()
    from matplotlib import pyplot as plt

    days = [day for day, _, _ in daily]
    figure, axes = plt.subplots(figsize=(10, 4), dpi=100)
    try:
        axes.bar(days, [made for _, made, _ in daily], color="#4C78A8", label="bookings")
        axes.bar(days, [-cancelled for _, _, cancelled in daily], color="#E45756", label="cancellations")
        axes.axhline(0, color="#333333", linewidth=0.8)
        axes.set_title(title)
        axes.legend(loc="upper left")
        axes.yaxis.get_major_locator().set_params(integer=True)
        figure.autofmt_xdate()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()
    finally:
        plt.close(figure)
