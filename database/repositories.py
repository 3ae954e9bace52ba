from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from uuid import uuid4

from sqlalchemy import Select, and_, bindparam, case, delete, func, literal_column, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, make_transient_to_detached

from database.models import (
    Admin,
    BlockedPeriod,
    Booking,
    BookingStatus,
    CalendarFeed,
    CancelledBy,
    CatalogRevision,
    ClientNote,
    DateShift,
    Feedback,
    Notification,
    Service,
    Specialist,
    SpecialistService,
    User,
    WaitlistEntry,
    WeeklyShift,
    utcnow,
)

# A weekday's or a date's working time: (start minute, end minute) from its midnight; empty is a day off.
MinuteShifts = tuple[tuple[int, int], ...]


def _insert_dialect(session: AsyncSession):  # type: ignore[no-untyped-def]
    """The dialect module whose `insert` has ON CONFLICT for this session's database."""
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite


READ_BATCH = 2000


@dataclass(frozen=True, slots=True)
class SenderRow:
    user: User | None
    listed_admin: bool
    catalog_revision: int | None


@dataclass(frozen=True, slots=True)
class BeforeBooking:
    """What a client's booking is checked against, read in one statement."""

    twin_id: int | None  # their active booking of this service at this start (a second confirm)
    upcoming: int  # their active bookings ahead
    booking_blocked: bool  # an admin closed self-booking for them
    no_shows: int  # since an admin last forgave them
    anyone_waiting: bool  # someone is on the waitlist for the booking's day


@dataclass(frozen=True, slots=True)
class DayEntry:
    """Someone waiting for a day, and the offers made to them (notification kinds)."""

    id: int
    user_id: int
    service_id: int
    specialist_id: int | None
    offers: list[str]


class Users:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def sender(self, user_id: int) -> "SenderRow":
        """The user (to read: not in the session), whether the admins table lists them, and the catalog's
        revision (None for a user not stored yet): one query, made for every update's sender. Read as columns:
        loading an entity cost more than the query itself."""
        row = (await self.session.execute(_SENDER, {"id": user_id})).first()
        if row is None:
            return SenderRow(None, False, None)
        *fields, listed, revision = row
        return SenderRow(User(**dict(zip(_USER_FIELDS, fields, strict=True))), bool(listed), revision)

    async def save(self, user_id: int, fields: dict[str, object]) -> User:
        """Create the user with `fields`, or bring them up to date: one statement, safe against a racing twin."""
        now = utcnow()
        statement = (
            _insert_dialect(self.session)
            .insert(User)
            .values(id=user_id, created_at=now, updated_at=now, **fields)
            .on_conflict_do_update(index_elements=[User.id], set_={**fields, "updated_at": now})
            .returning(User)
        )
        saved = await self.session.scalars(statement, execution_options={"populate_existing": True})
        return saved.one()

    async def lock(self, user_id: int) -> None:
        """Serialise booking transactions of one client (row lock on PostgreSQL).

        On SQLite every write transaction already holds the database's write lock from BEGIN: nothing to do.
        """
        if self.session.get_bind().dialect.name != "sqlite":
            await self.session.execute(select(User.id).where(User.id == user_id).with_for_update())

    async def many(self, user_ids: Iterable[int]) -> Sequence[User]:
        ids = list(user_ids)
        return (await self.session.scalars(select(User).where(User.id.in_(ids)))).all() if ids else []

    async def set_blocked(self, user_id: int, blocked: bool) -> None:
        await self.session.execute(update(User).where(User.id == user_id).values(blocked_bot=blocked))

    async def set_booking_blocked(self, user_id: int, blocked_at: datetime | None) -> bool:
        """Close (a moment) or open (None) self-booking for the client: whether this call changed it."""
        unchanged = User.booking_blocked_at.is_(None) if blocked_at is None else User.booking_blocked_at.is_not(None)
        result = await self.session.execute(
            update(User).where(User.id == user_id, ~unchanged).values(booking_blocked_at=blocked_at)
        )
        return bool(getattr(result, "rowcount", 0))


class Services:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def active(self) -> Sequence[Service]:
        result = await self.session.scalars(
            select(Service).where(Service.is_active.is_(True)).order_by(Service.position, Service.id)
        )
        return result.all()

    async def get(self, service_id: int) -> Service | None:
        return await self.session.get(Service, service_id)

    async def count(self) -> int:
        return await self.session.scalar(select(func.count(Service.id))) or 0


# The reads of every booking step, built once with bound parameters: building a statement costs more than
# running it from the compiled cache.
_USER_FIELDS = tuple(User.__table__.c.keys())
_REVISION = select(CatalogRevision.revision).where(CatalogRevision.id == 1)
_SENDER = (
    select(*User.__table__.c, Admin.__table__.c.user_id.is_not(None), _REVISION.scalar_subquery())
    .select_from(User.__table__.outerjoin(Admin.__table__, Admin.__table__.c.user_id == User.__table__.c.id))
    .where(User.__table__.c.id == bindparam("id"))
)
_PERFORMING = (
    select(Specialist)
    .where(
        Specialist.is_active.is_(True),
        or_(
            Specialist.all_services.is_(True),
            Specialist.id.in_(
                select(SpecialistService.specialist_id).where(SpecialistService.service_id == bindparam("service"))
            ),
        ),
    )
    .order_by(Specialist.position, Specialist.id)
)
_COUNT_ACTIVE = select(func.count(Specialist.id)).where(Specialist.is_active.is_(True))
_DATE_SHIFTS = (
    select(DateShift.specialist_id, DateShift.day, DateShift.start_minute, DateShift.end_minute)
    .where(
        DateShift.specialist_id.in_(bindparam("ids", expanding=True)),
        DateShift.day >= bindparam("first"),
        DateShift.day <= bindparam("last"),
    )
    .order_by(DateShift.day, DateShift.start_minute)
)
_OCCUPIED = select(Booking.specialist_id, Booking.starts_at, Booking.occupied_until).where(
    Booking.specialist_id.in_(bindparam("ids", expanding=True)),
    Booking.status == BookingStatus.ACTIVE,
    Booking.starts_at < bindparam("end"),
    Booking.occupied_until > bindparam("start"),
    Booking.id != bindparam("exclude"),
)
_BLOCKED_TIMES = select(BlockedPeriod.specialist_id, BlockedPeriod.starts_at, BlockedPeriod.ends_at).where(
    BlockedPeriod.starts_at < bindparam("end"),
    BlockedPeriod.ends_at > bindparam("start"),
    BlockedPeriod.specialist_id.is_(None) | BlockedPeriod.specialist_id.in_(bindparam("ids", expanding=True)),
)


class Specialists:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, specialist_id: int) -> Specialist | None:
        return await self.session.get(Specialist, specialist_id)

    async def listed(self, *, hidden_too: bool = False) -> Sequence[Specialist]:
        query = select(Specialist).order_by(Specialist.position, Specialist.id)
        if not hidden_too:
            query = query.where(Specialist.is_active.is_(True))
        return (await self.session.scalars(query)).all()

    async def performing(self, service_id: int) -> Sequence[Specialist]:
        """The active specialists who perform a service, in their order."""
        return (await self.session.scalars(_PERFORMING, {"service": service_id})).all()

    async def count_active(self) -> int:
        return await self.session.scalar(_COUNT_ACTIVE) or 0

    async def by_telegram_id(self, telegram_id: int) -> Specialist | None:
        return await self.session.scalar(select(Specialist).where(Specialist.telegram_id == telegram_id))

    async def by_name(self, name: str) -> Sequence[Specialist]:
        """Specialists whose name is `name` (any case), else those whose name starts with it."""
        wanted = name.strip().lower()
        everyone = await self.listed(hidden_too=True)
        exact = [item for item in everyone if item.name.lower() == wanted]
        return exact or [item for item in everyone if item.name.lower().startswith(wanted)]

    async def service_ids(self, specialist_id: int) -> list[int]:
        result = await self.session.scalars(
            select(SpecialistService.service_id)
            .where(SpecialistService.specialist_id == specialist_id)
            .order_by(SpecialistService.service_id)
        )
        return list(result.all())

    async def set_services(self, specialist_id: int, service_ids: Iterable[int]) -> None:
        await self.session.execute(delete(SpecialistService).where(SpecialistService.specialist_id == specialist_id))
        self.session.add_all(SpecialistService(specialist_id=specialist_id, service_id=id_) for id_ in service_ids)
        await self.session.flush()

    async def weeks(self, specialist_ids: Sequence[int]) -> dict[int, list[MinuteShifts]]:
        """Each specialist's weekly template (Monday first), for those whose week has been written."""
        if not specialist_ids:
            return {}
        weeks: dict[int, list[list[tuple[int, int]]]] = defaultdict(lambda: [[] for _ in range(7)])
        rows = await self.session.execute(
            select(WeeklyShift.specialist_id, WeeklyShift.weekday, WeeklyShift.start_minute, WeeklyShift.end_minute)
            .where(WeeklyShift.specialist_id.in_(specialist_ids))
            .order_by(WeeklyShift.start_minute)
        )
        for specialist_id, weekday, start, end in rows:
            weeks[specialist_id][weekday].append((start, end))
        return {key: [tuple(day) for day in days] for key, days in weeks.items()}

    async def set_weekdays(self, specialist_id: int, days: dict[int, MinuteShifts]) -> None:
        """Replace the hours of the weekdays given; the week counts as written from now on."""
        await self.session.execute(
            delete(WeeklyShift).where(WeeklyShift.specialist_id == specialist_id, WeeklyShift.weekday.in_(days))
        )
        self.session.add_all(
            WeeklyShift(specialist_id=specialist_id, weekday=weekday, start_minute=start, end_minute=end)
            for weekday, shifts in days.items()
            for start, end in shifts
        )
        await self.session.execute(update(Specialist).where(Specialist.id == specialist_id).values(hours_set=True))
        await self.session.flush()

    async def date_exceptions(
        self, specialist_ids: Sequence[int], first: date, last: date
    ) -> dict[int, dict[date, MinuteShifts]]:
        """Dates from `first` to `last` whose hours differ from the week: (specialist → date → shifts)."""
        found: dict[int, dict[date, list[tuple[int, int]]]] = defaultdict(dict)
        rows = await self.session.execute(_DATE_SHIFTS, {"ids": list(specialist_ids), "first": first, "last": last})
        for specialist_id, day, start, end in rows:
            shifts = found[specialist_id].setdefault(day, [])
            if start is not None and end is not None:
                shifts.append((start, end))
        return {key: {day: tuple(shifts) for day, shifts in days.items()} for key, days in found.items()}

    async def set_dates(self, specialist_id: int, days: Sequence[date], shifts: MinuteShifts, note: str | None) -> None:
        """The same hours (none: days off) on each of `days`, replacing what those dates had."""
        await self.session.execute(
            delete(DateShift).where(DateShift.specialist_id == specialist_id, DateShift.day.in_(days))
        )
        self.session.add_all(
            DateShift(specialist_id=specialist_id, day=day, start_minute=start, end_minute=end, note=note)
            for day in days
            for start, end in (shifts or ((None, None),))
        )
        await self.session.flush()

    async def clear_dates(self, specialist_id: int, days: Sequence[date]) -> int:
        result = await self.session.execute(
            delete(DateShift).where(DateShift.specialist_id == specialist_id, DateShift.day.in_(days))
        )
        return int(getattr(result, "rowcount", 0) or 0)


class Bookings:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, booking_id: int, *, for_update: bool = False) -> Booking | None:
        query = (
            select(Booking)
            .where(Booking.id == booking_id)
            .options(joinedload(Booking.user), joinedload(Booking.service), joinedload(Booking.specialist))
        )
        if for_update:
            query = query.with_for_update(of=Booking)
        return await self.session.scalar(query)

    async def upcoming_for_user(self, user_id: int, now: datetime) -> Sequence[Booking]:
        result = await self.session.scalars(
            select(Booking)
            .where(
                Booking.user_id == user_id,
                Booking.status == BookingStatus.ACTIVE,
                Booking.starts_at > now,
            )
            .options(joinedload(Booking.service), joinedload(Booking.specialist))
            .order_by(Booking.starts_at)
        )
        return result.all()

    async def before_booking(
        self, user_id: int, service_id: int, starts_at: datetime, day: date, now: datetime
    ) -> BeforeBooking:
        """Everything a booking of the client's on `day` (local) is checked against, in the one statement made
        before each."""
        twin = case((and_(Booking.service_id == service_id, Booking.starts_at == starts_at), Booking.id))
        blocked = select(User.booking_blocked_at.is_not(None)).where(User.id == user_id).scalar_subquery()
        row = (
            await self.session.execute(
                select(
                    func.max(twin),
                    func.count(case((Booking.starts_at > now, Booking.id))),
                    blocked,
                    _unforgiven_no_shows(user_id),
                    select(WaitlistEntry.id).where(WaitlistEntry.day == day).exists(),
                ).where(Booking.user_id == user_id, Booking.status == BookingStatus.ACTIVE)
            )
        ).one()
        return BeforeBooking(row[0], row[1] or 0, bool(row[2]), row[3] or 0, bool(row[4]))

    async def unforgiven_no_shows(self, user_id: int) -> int:
        """The client's no-shows since an admin last forgave them."""
        return await self.session.scalar(select(_unforgiven_no_shows(user_id))) or 0

    async def history(self, user_id: int) -> dict[tuple[BookingStatus, CancelledBy | None], int]:
        """How many of the client's bookings ended each way (and who cancelled those cancelled)."""
        rows = await self.session.execute(
            select(Booking.status, Booking.cancelled_by, func.count())
            .where(Booking.user_id == user_id)
            .group_by(Booking.status, Booking.cancelled_by)
        )
        return {(status, cancelled_by): count for status, cancelled_by, count in rows}

    async def no_show_counts(self, user_ids: Iterable[int]) -> dict[int, int]:
        """How many bookings each of these clients did not come to (only those with any)."""
        ids = list(user_ids)
        if not ids:
            return {}
        rows = await self.session.execute(
            select(Booking.user_id, func.count())
            .where(Booking.user_id.in_(ids), Booking.status == BookingStatus.NO_SHOW)
            .group_by(Booking.user_id)
        )
        return {user_id: count for user_id, count in rows}

    async def confirm(self, booking_id: int, now: datetime) -> bool:
        """Stamp the client's confirmation unless the booking has one: whether this call stamped it."""
        result = await self.session.execute(
            update(Booking)
            .where(Booking.id == booking_id, Booking.confirmed_at.is_(None), Booking.status == BookingStatus.ACTIVE)
            .values(confirmed_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def release_unconfirmed(self, booking_id: int, now: datetime) -> bool:
        """Cancel the booking for want of a confirmation, unless it was confirmed (or changed) meanwhile: whether
        this call released it. The database decides between a release and a last-moment ✅."""
        result = await self.session.execute(
            update(Booking)
            .where(Booking.id == booking_id, Booking.confirmed_at.is_(None), Booking.status == BookingStatus.ACTIVE)
            .values(status=BookingStatus.CANCELLED, cancelled_at=now, cancelled_by=CancelledBy.RELEASE, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def occupied_between(
        self, specialist_ids: Sequence[int], start: datetime, end: datetime, *, exclude_id: int | None = None
    ) -> Sequence[tuple[int, datetime, datetime]]:
        """(specialist_id, starts_at, occupied_until) of the specialists' active bookings overlapping [start, end):
        three columns, no Booking objects."""
        parameters = {"ids": list(specialist_ids), "start": start, "end": end, "exclude": exclude_id or 0}
        return (await self.session.execute(_OCCUPIED, parameters)).all()  # type: ignore[return-value]

    async def counts_between(self, specialist_ids: Sequence[int], start: datetime, end: datetime) -> dict[int, int]:
        """How many active bookings each specialist has starting in [start, end)."""
        rows = await self.session.execute(
            select(Booking.specialist_id, func.count(Booking.id))
            .where(
                Booking.specialist_id.in_(specialist_ids),
                Booking.status == BookingStatus.ACTIVE,
                Booking.starts_at >= start,
                Booking.starts_at < end,
            )
            .group_by(Booking.specialist_id)
        )
        return {specialist_id: count for specialist_id, count in rows}

    async def pending_times(self, ended_after: datetime) -> Sequence[tuple[int, datetime, datetime, datetime]]:
        """(id, starts_at, ends_at, booked_at) of the bookings that may still be owed a message, not cancelled.

        Plain rows rather than Booking objects, read in batches: a reconcile reads tens of thousands on the
        event loop, and reading them at once would keep it from serving anything else meanwhile.
        """
        result = await self.session.stream(
            select(Booking.id, Booking.starts_at, Booking.ends_at, Booking.booked_at)
            .where(Booking.status != BookingStatus.CANCELLED, Booking.ends_at > ended_after)
            .order_by(Booking.starts_at)
        )
        rows: list[tuple[int, datetime, datetime, datetime]] = []
        async for batch in result.partitions(READ_BATCH):
            rows.extend(tuple(row) for row in batch)  # type: ignore[misc]
        return rows

    async def active_times(self, booking_id: int) -> tuple[datetime, datetime, datetime] | None:
        """(starts_at, ends_at, booked_at) of the booking if it is active: three columns, no Booking object."""
        row = (
            await self.session.execute(
                select(Booking.starts_at, Booking.ends_at, Booking.booked_at).where(
                    Booking.id == booking_id, Booking.status == BookingStatus.ACTIVE
                )
            )
        ).first()
        return None if row is None else (row[0], row[1], row[2])

    async def newest_id(self) -> int:
        return await self.session.scalar(select(func.max(Booking.id))) or 0

    async def remindable_starting_between(self, start: datetime, end: datetime) -> Sequence[Booking]:
        """Active bookings, and those released for want of a confirmation (whose notice may still be owed)."""
        result = await self.session.scalars(
            select(Booking)
            .where(
                or_(
                    Booking.status == BookingStatus.ACTIVE,
                    and_(Booking.status == BookingStatus.CANCELLED, Booking.cancelled_by == CancelledBy.RELEASE),
                ),
                Booking.starts_at > start,
                Booking.starts_at <= end,
            )
            .order_by(Booking.starts_at)
        )
        return result.all()

    async def ended_between(self, start: datetime, end: datetime) -> Sequence[Booking]:
        result = await self.session.scalars(
            select(Booking)
            .where(
                Booking.status.in_((BookingStatus.ACTIVE, BookingStatus.COMPLETED)),
                Booking.ends_at > start,
                Booking.ends_at <= end,
            )
            .order_by(Booking.ends_at)
        )
        return result.all()

    async def complete_ended(self, now: datetime) -> int:
        result = await self.session.execute(
            update(Booking)
            .where(Booking.status == BookingStatus.ACTIVE, Booking.ends_at <= now)
            .values(status=BookingStatus.COMPLETED, updated_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0)


class CalendarFeeds:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def active(self) -> Sequence[CalendarFeed]:
        result = await self.session.scalars(
            select(CalendarFeed).where(CalendarFeed.revoked_at.is_(None)).order_by(CalendarFeed.id)
        )
        return result.all()

    async def get(self, feed_id: int) -> CalendarFeed | None:
        return await self.session.get(CalendarFeed, feed_id)

    async def by_secret(self, secret: str) -> CalendarFeed | None:
        return await self.session.scalar(
            select(CalendarFeed).where(CalendarFeed.secret == secret, CalendarFeed.revoked_at.is_(None))
        )

    async def of_specialist(self, specialist_id: int) -> CalendarFeed | None:
        return await self.session.scalar(
            select(CalendarFeed)
            .where(CalendarFeed.specialist_id == specialist_id, CalendarFeed.revoked_at.is_(None))
            .order_by(CalendarFeed.id)
            .limit(1)
        )

    async def bookings(self, specialist_id: int | None, start: datetime, end: datetime) -> Sequence[Booking]:
        """Active and completed bookings starting in [start, end), the whole business's or one specialist's."""
        query = (
            select(Booking)
            .where(
                Booking.status != BookingStatus.CANCELLED,
                Booking.starts_at >= start,
                Booking.starts_at < end,
            )
            .options(joinedload(Booking.user), joinedload(Booking.service), joinedload(Booking.specialist))
            .order_by(Booking.starts_at, Booking.id)
        )
        if specialist_id is not None:
            query = query.where(Booking.specialist_id == specialist_id)
        return (await self.session.scalars(query)).all()


class BlockedPeriods:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_once(
        self, start: datetime, end: datetime, reason: str | None, specialist_id: int | None = None
    ) -> tuple[BlockedPeriod, bool]:
        """The block of exactly this period (the business's, or a specialist's), and whether this call made it:
        one statement, safe against a twin."""
        statement = (
            _insert_dialect(self.session)
            .insert(BlockedPeriod)
            .values(starts_at=start, ends_at=end, reason=reason, specialist_id=specialist_id, created_at=utcnow())
            .on_conflict_do_nothing(
                index_elements=[
                    func.coalesce(BlockedPeriod.specialist_id, literal_column("0")),
                    BlockedPeriod.starts_at,
                    BlockedPeriod.ends_at,
                ]
            )
            .returning(BlockedPeriod.id)
        )
        created = (await self.session.execute(statement)).scalar_one_or_none()
        block = await self.session.scalar(
            select(BlockedPeriod).where(
                func.coalesce(BlockedPeriod.specialist_id, 0) == (specialist_id or 0),
                BlockedPeriod.starts_at == start,
                BlockedPeriod.ends_at == end,
            )
        )
        assert block is not None
        return block, created is not None

    async def overlapping(
        self, start: datetime, end: datetime, specialist_ids: Sequence[int] | None = None
    ) -> Sequence[BlockedPeriod]:
        """Blocks overlapping [start, end): every one, or the business's and those of `specialist_ids`."""
        query = select(BlockedPeriod).where(BlockedPeriod.starts_at < end, BlockedPeriod.ends_at > start)
        if specialist_ids is not None:
            query = query.where(BlockedPeriod.specialist_id.is_(None) | BlockedPeriod.specialist_id.in_(specialist_ids))
        return (await self.session.scalars(query)).all()

    async def times_overlapping(
        self, start: datetime, end: datetime, specialist_ids: Sequence[int]
    ) -> Sequence[tuple[int | None, datetime, datetime]]:
        """(specialist_id or None for the business's, starts_at, ends_at) of the blocks overlapping [start, end)."""
        parameters = {"start": start, "end": end, "ids": list(specialist_ids)}
        return (await self.session.execute(_BLOCKED_TIMES, parameters)).all()  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class Claim:
    """A claim held on notification_log rows, by its token: a booking's message (`booking_id`, `kind`), or the
    offers to a waitlist entry claimed together (`waitlist_entry_id`, every kind the token holds)."""

    token: str
    booking_id: int | None = None
    kind: str | None = None
    waitlist_entry_id: int | None = None

    def rows(self) -> list[Any]:
        """The WHERE conditions of the rows it holds, on the log's unique indexes."""
        if self.booking_id is not None:
            subject = [Notification.booking_id == self.booking_id, Notification.kind == self.kind]
        else:
            subject = [Notification.waitlist_entry_id == self.waitlist_entry_id]
        return [*subject, Notification.claim_token == self.token]


class Notifications:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, booking_id: int, kind: str, now: datetime, stale_after: timedelta) -> Claim | None:
        """Claim the right to send `kind` for a booking; None if sent or being sent by someone else.

        One statement, atomic on both databases: a fresh row, or a takeover of a claim whose sender
        went silent for longer than `stale_after` without stamping it sent.
        """
        token = uuid4().hex
        dialect = _insert_dialect(self.session)
        statement = dialect.insert(Notification).values(
            booking_id=booking_id, kind=kind, claimed_at=now, claim_token=token
        )
        statement = statement.on_conflict_do_update(
            index_elements=[Notification.booking_id, Notification.kind],
            set_={"claimed_at": now, "claim_token": token},
            where=Notification.sent_at.is_(None) & (Notification.claimed_at < now - stale_after),
        ).returning(Notification.claim_token)
        claimed = (await self.session.execute(statement)).scalar_one_or_none()
        return Claim(token, booking_id=booking_id, kind=kind) if claimed == token else None

    async def claim_offers(
        self, entry_id: int, kinds: Sequence[str], now: datetime, stale_after: timedelta
    ) -> tuple[Claim, list[str]]:
        """Claim the offers of `kinds` to a waitlist entry at once, as `claim` does for a booking's message: the
        claim, and the kinds it holds (those not sent or being sent by someone else)."""
        claim = Claim(uuid4().hex, waitlist_entry_id=entry_id)
        if not kinds:
            return claim, []
        dialect = _insert_dialect(self.session)
        statement = dialect.insert(Notification).values(
            [
                {"waitlist_entry_id": entry_id, "kind": kind, "claimed_at": now, "claim_token": claim.token}
                for kind in kinds
            ]
        )
        statement = statement.on_conflict_do_update(
            index_elements=[Notification.waitlist_entry_id, Notification.kind],
            set_={"claimed_at": now, "claim_token": claim.token},
            where=Notification.sent_at.is_(None) & (Notification.claimed_at < now - stale_after),
        ).returning(Notification.kind, Notification.claim_token)
        rows = (await self.session.execute(statement)).all()
        return claim, sorted(kind for kind, token in rows if token == claim.token)

    async def forget_offers(self, entry_id: int, kinds: Sequence[str]) -> None:
        await self.session.execute(
            delete(Notification).where(Notification.waitlist_entry_id == entry_id, Notification.kind.in_(kinds))
        )

    async def mark_sent(self, claim: Claim, message_id: int | None, now: datetime) -> None:
        await self.session.execute(update(Notification).where(*claim.rows()).values(sent_at=now, message_id=message_id))

    async def release(self, claim: Claim) -> None:
        await self.session.execute(delete(Notification).where(*claim.rows(), Notification.sent_at.is_(None)))

    async def taken(self, booking_ids: Sequence[int], claimed_since: datetime) -> set[tuple[int, str]]:
        """(booking, kind) pairs sent, or claimed since `claimed_since` (an older unsent claim is stale)."""
        return await self._taken(Notification.booking_id, booking_ids, claimed_since)

    async def offers_taken(self, entry_ids: Sequence[int], claimed_since: datetime) -> set[tuple[int, str]]:
        """(waitlist entry, offer kind) pairs sent, or claimed since `claimed_since`."""
        return await self._taken(Notification.waitlist_entry_id, entry_ids, claimed_since)

    async def _taken(self, subject: Any, ids: Sequence[int], claimed_since: datetime) -> set[tuple[int, str]]:
        if not ids:
            return set()
        rows = await self.session.execute(
            select(subject, Notification.kind).where(
                subject.in_(ids), Notification.sent_at.is_not(None) | (Notification.claimed_at >= claimed_since)
            )
        )
        return {(subject_id, kind) for subject_id, kind in rows}

    async def renew_unsent(self, now: datetime) -> int:
        """Give every unsent claim a fresh lease; the number of claims that were in doubt."""
        result = await self.session.execute(
            update(Notification).where(Notification.sent_at.is_(None)).values(claimed_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def forget_reminders(self, booking_id: int) -> None:
        await self.session.execute(
            delete(Notification).where(Notification.booking_id == booking_id, Notification.kind.like("reminder_%"))
        )


class Waitlist:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, user_id: int, service_id: int, specialist_id: int | None, day: date, now: datetime) -> bool:
        """Put the client on the list; False if they are on it already for that day, service and specialist."""
        dialect = _insert_dialect(self.session)
        statement = (
            dialect.insert(WaitlistEntry)
            .values(user_id=user_id, service_id=service_id, specialist_id=specialist_id, day=day, created_at=now)
            .on_conflict_do_nothing()
            .returning(WaitlistEntry.id)
        )
        return (await self.session.execute(statement)).scalar_one_or_none() is not None

    async def of_user(self, user_id: int, from_day: date) -> Sequence[WaitlistEntry]:
        result = await self.session.scalars(
            select(WaitlistEntry)
            .where(WaitlistEntry.user_id == user_id, WaitlistEntry.day >= from_day)
            .options(joinedload(WaitlistEntry.service), joinedload(WaitlistEntry.specialist))
            .order_by(WaitlistEntry.day, WaitlistEntry.id)
        )
        return result.all()

    async def count_of_user(self, user_id: int, from_day: date) -> int:
        query = select(func.count(WaitlistEntry.id)).where(
            WaitlistEntry.user_id == user_id, WaitlistEntry.day >= from_day
        )
        return await self.session.scalar(query) or 0

    async def get(self, entry_id: int) -> WaitlistEntry | None:
        return await self.session.scalar(
            select(WaitlistEntry)
            .where(WaitlistEntry.id == entry_id)
            .options(
                joinedload(WaitlistEntry.user), joinedload(WaitlistEntry.service), joinedload(WaitlistEntry.specialist)
            )
        )

    async def remove(self, entry_id: int, user_id: int) -> bool:
        result = await self.session.execute(
            delete(WaitlistEntry).where(WaitlistEntry.id == entry_id, WaitlistEntry.user_id == user_id)
        )
        return bool(getattr(result, "rowcount", 0))

    async def on_day(self, day: date) -> list[DayEntry]:
        """Who waits for `day`, with the offers made to them: one statement, read by every booking of the day."""
        rows = await self.session.execute(
            select(
                WaitlistEntry.id,
                WaitlistEntry.user_id,
                WaitlistEntry.service_id,
                WaitlistEntry.specialist_id,
                Notification.kind,
            )
            .outerjoin(Notification, Notification.waitlist_entry_id == WaitlistEntry.id)
            .where(WaitlistEntry.day == day)
        )
        entries: dict[int, DayEntry] = {}
        for entry_id, user_id, service_id, specialist_id, kind in rows:
            entry = entries.setdefault(entry_id, DayEntry(entry_id, user_id, service_id, specialist_id, []))
            if kind is not None:
                entry.offers.append(kind)
        return list(entries.values())

    async def remove_entries(self, entry_ids: Sequence[int]) -> None:
        await self.session.execute(delete(WaitlistEntry).where(WaitlistEntry.id.in_(entry_ids)))

    async def waiting(self, days: Iterable[date] | None, from_day: date) -> Sequence[WaitlistEntry]:
        """The entries for these days (None: every day from `from_day`), oldest first: the order of the offers."""
        query = select(WaitlistEntry).where(WaitlistEntry.day >= from_day)
        if days is not None:
            query = query.where(WaitlistEntry.day.in_(list(days)))
        result = await self.session.scalars(
            query.options(
                joinedload(WaitlistEntry.user), joinedload(WaitlistEntry.service), joinedload(WaitlistEntry.specialist)
            ).order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        )
        return result.all()

    async def drop_before(self, day: date) -> int:
        """Entries whose day has passed expire."""
        result = await self.session.execute(delete(WaitlistEntry).where(WaitlistEntry.day < day))
        return int(getattr(result, "rowcount", 0) or 0)


class Feedbacks:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert_rating(self, booking_id: int, rating: int, now: datetime) -> None:
        dialect = _insert_dialect(self.session)
        statement = dialect.insert(Feedback).values(
            booking_id=booking_id, rating=rating, created_at=now, updated_at=now
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[Feedback.booking_id], set_={"rating": rating, "updated_at": now}
            )
        )

    async def ratings_of_client(self, user_id: int) -> tuple[int, float | None]:
        """How many of the client's visits they rated, and the average rating."""
        row = (
            await self.session.execute(
                select(func.count(Feedback.id), func.avg(Feedback.rating))
                .join(Booking, Booking.id == Feedback.booking_id)
                .where(Booking.user_id == user_id)
            )
        ).one()
        return row[0] or 0, None if row[1] is None else float(row[1])

    async def get(self, booking_id: int) -> Feedback | None:
        return await self.session.scalar(select(Feedback).where(Feedback.booking_id == booking_id))


_Entity = TypeVar("_Entity", Service, Specialist)


def _unforgiven_no_shows(user_id: int) -> Any:
    forgiven_at = select(User.no_shows_forgiven_at).where(User.id == user_id).scalar_subquery()
    return (
        select(func.count(Booking.id))
        .where(
            Booking.user_id == user_id,
            Booking.status == BookingStatus.NO_SHOW,
            or_(forgiven_at.is_(None), Booking.starts_at > forgiven_at),
        )
        .scalar_subquery()
    )


class ClientNotes:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, user_id: int, author_id: int, text: str, now: datetime) -> ClientNote:
        note = ClientNote(user_id=user_id, author_id=author_id, text=text, created_at=now)
        self.session.add(note)
        await self.session.flush()
        return note

    async def latest(self, user_id: int, limit: int) -> tuple[Sequence[ClientNote], int]:
        """The client's newest notes, and how many there are in all."""
        notes = await self.session.scalars(
            select(ClientNote).where(ClientNote.user_id == user_id).order_by(ClientNote.id.desc()).limit(limit)
        )
        total = await self.session.scalar(select(func.count(ClientNote.id)).where(ClientNote.user_id == user_id))
        return notes.all(), total or 0


class CatalogReads:
    """What the booking steps read about the business, read whole, as detached entities (in no session: to read,
    or to `merge(..., load=False)` into one) and plain values."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def revision(self) -> int | None:
        return await self.session.scalar(_REVISION)

    async def services(self) -> list[Service]:
        """Every service (hidden too), in the order clients see them."""
        return await self._detached(Service, select(Service.__table__).order_by(Service.position, Service.id))

    async def specialists(self) -> list[Specialist]:
        """Every specialist (hidden too), in their order."""
        statement = select(Specialist.__table__).order_by(Specialist.position, Specialist.id)
        return await self._detached(Specialist, statement)

    async def performed(self) -> list[tuple[int, int]]:
        """(specialist id, service id) of the specialists who perform chosen services."""
        rows = await self.session.execute(select(SpecialistService.specialist_id, SpecialistService.service_id))
        return [(specialist_id, service_id) for specialist_id, service_id in rows]

    async def _detached(self, kind: type[_Entity], statement: Select[Any]) -> list[_Entity]:
        # Columns, not entities: the update's session (and whatever it holds) stays as it was.
        found: list[_Entity] = []
        for row in await self.session.execute(statement):
            item = kind(**row._mapping)
            make_transient_to_detached(item)
            found.append(item)
        return found
