from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import uuid4

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from database.models import (
    Admin,
    BlockedPeriod,
    Booking,
    BookingStatus,
    Feedback,
    Notification,
    Service,
    User,
    utcnow,
)


def _insert_dialect(session: AsyncSession):  # type: ignore[no-untyped-def]
    """The dialect module whose `insert` has ON CONFLICT for this session's database."""
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite


READ_BATCH = 2000


class Users:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_with_admin_flag(self, user_id: int) -> tuple[User | None, bool]:
        """The user, and whether the admins table lists them: one query, made for every update's sender."""
        statement = (
            select(User, Admin.user_id.is_not(None))
            .outerjoin(Admin, Admin.user_id == User.id)
            .where(User.id == user_id)
        )
        row = (await self.session.execute(statement)).first()
        return (row[0], bool(row[1])) if row is not None else (None, False)

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

    async def set_blocked(self, user_id: int, blocked: bool) -> None:
        await self.session.execute(update(User).where(User.id == user_id).values(blocked_bot=blocked))


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


class Bookings:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, booking_id: int, *, for_update: bool = False) -> Booking | None:
        query = (
            select(Booking)
            .where(Booking.id == booking_id)
            .options(joinedload(Booking.user), joinedload(Booking.service))
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
            .options(joinedload(Booking.service))
            .order_by(Booking.starts_at)
        )
        return result.all()

    async def count_upcoming_for_user(self, user_id: int, now: datetime) -> int:
        count = await self.session.scalar(
            select(func.count(Booking.id)).where(
                Booking.user_id == user_id,
                Booking.status == BookingStatus.ACTIVE,
                Booking.starts_at > now,
            )
        )
        return count or 0

    async def find_same(self, user_id: int, service_id: int, starts_at: datetime) -> Booking | None:
        return await self.session.scalar(
            select(Booking)
            .where(
                Booking.user_id == user_id,
                Booking.service_id == service_id,
                Booking.starts_at == starts_at,
                Booking.status == BookingStatus.ACTIVE,
            )
            .options(joinedload(Booking.service))
        )

    async def active_times_between(
        self, start: datetime, end: datetime, *, exclude_id: int | None = None
    ) -> Sequence[tuple[datetime, datetime]]:
        """(starts_at, ends_at) of the active bookings overlapping [start, end): two columns, no Booking objects."""
        query = select(Booking.starts_at, Booking.ends_at).where(
            Booking.status == BookingStatus.ACTIVE,
            Booking.starts_at < end,
            Booking.ends_at > start,
        )
        if exclude_id is not None:
            query = query.where(Booking.id != exclude_id)
        return (await self.session.execute(query)).all()

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

    async def active_starting_between(self, start: datetime, end: datetime) -> Sequence[Booking]:
        result = await self.session.scalars(
            select(Booking)
            .where(
                Booking.status == BookingStatus.ACTIVE,
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


class BlockedPeriods:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_once(self, start: datetime, end: datetime, reason: str | None) -> tuple[BlockedPeriod, bool]:
        """The block of exactly this period, and whether this call made it: one statement, safe against a twin."""
        statement = (
            _insert_dialect(self.session)
            .insert(BlockedPeriod)
            .values(starts_at=start, ends_at=end, reason=reason, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=[BlockedPeriod.starts_at, BlockedPeriod.ends_at])
            .returning(BlockedPeriod.id)
        )
        created = (await self.session.execute(statement)).scalar_one_or_none()
        block = await self.session.scalar(
            select(BlockedPeriod).where(BlockedPeriod.starts_at == start, BlockedPeriod.ends_at == end)
        )
        assert block is not None
        return block, created is not None

    async def overlapping(self, start: datetime, end: datetime) -> Sequence[BlockedPeriod]:
        result = await self.session.scalars(
            select(BlockedPeriod).where(BlockedPeriod.starts_at < end, BlockedPeriod.ends_at > start)
        )
        return result.all()


class Notifications:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, booking_id: int, kind: str, now: datetime, stale_after: timedelta) -> str | None:
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
        return token if claimed == token else None

    async def mark_sent(self, booking_id: int, kind: str, token: str, message_id: int | None, now: datetime) -> None:
        await self.session.execute(
            update(Notification)
            .where(
                Notification.booking_id == booking_id,
                Notification.kind == kind,
                Notification.claim_token == token,
            )
            .values(sent_at=now, message_id=message_id)
        )

    async def release(self, booking_id: int, kind: str, token: str) -> None:
        await self.session.execute(
            delete(Notification).where(
                Notification.booking_id == booking_id,
                Notification.kind == kind,
                Notification.claim_token == token,
                Notification.sent_at.is_(None),
            )
        )

    async def taken(self, booking_ids: Sequence[int], claimed_since: datetime) -> set[tuple[int, str]]:
        """(booking, kind) pairs sent, or claimed since `claimed_since` (an older unsent claim is stale)."""
        if not booking_ids:
            return set()
        rows = await self.session.execute(
            select(Notification.booking_id, Notification.kind).where(
                Notification.booking_id.in_(booking_ids),
                Notification.sent_at.is_not(None) | (Notification.claimed_at >= claimed_since),
            )
        )
        return {(row.booking_id, row.kind) for row in rows}

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

    async def get(self, booking_id: int) -> Feedback | None:
        return await self.session.scalar(select(Feedback).where(Feedback.booking_id == booking_id))
