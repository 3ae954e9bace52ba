import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from config import Settings
from core.availability import Interval
from core.errors import (
    BlockNotFound,
    BookingNotActive,
    BookingNotFound,
    ClientNotFound,
    InputTooLong,
    NotAllowed,
    ServiceNotFound,
)
from database.engine import after_commit
from database.models import (
    Admin,
    AuditEntry,
    BlockedPeriod,
    Booking,
    BookingStatus,
    CancelledBy,
    ClientNote,
    Feedback,
    QuietAdmin,
    Service,
    Specialist,
    User,
    utcnow,
)
from database.repositories import BlockedPeriods, Bookings, ClientNotes, Feedbacks, Specialists, Users
from services import metrics
from services.admin_input import MAX_USER_ID, parse_id
from services.availability import Availability
from services.scheduling import ReminderJobs

AUDIT_PAGE = 10
# What admins type is refused past these lengths, with the limit, rather than stored on one database and
# refused by the other (VARCHAR on PostgreSQL; SQLite stores anything).
NAME_LIMIT = Service.__table__.c.name.type.length
PRICE_LIMIT = Service.__table__.c.price.type.length
DESCRIPTION_LIMIT = 1000
REASON_LIMIT = 500
NOTE_LIMIT = 1000
CARD_UPCOMING = 5  # a card names the nearest bookings and the newest notes, and counts the rest
CARD_NOTES = 3


def fitting(field: str, value: str, limit: int) -> str:
    if len(value) > limit:
        raise InputTooLong(field, limit)
    return value


@dataclass(frozen=True, slots=True)
class SpecialistDay:
    """One specialist's day: their hours (none: a day off), bookings and own blocks."""

    specialist: Specialist
    opening: Sequence[Interval]
    bookings: Sequence[Booking]
    blocks: Sequence[BlockedPeriod]


@dataclass(frozen=True, slots=True)
class DayAgenda:
    day: date
    specialists: Sequence[SpecialistDay]
    blocks: Sequence[BlockedPeriod]  # the whole business's
    no_shows: Mapping[int, int] = field(default_factory=dict)  # the clients' no-shows so far, by user id

    @property
    def bookings(self) -> list[Booking]:
        return [booking for column in self.specialists for booking in column.bookings]


@dataclass(frozen=True, slots=True)
class ClientCard:
    """What the business knows of a client, for /client."""

    user: User
    visits: int
    no_shows: int
    unforgiven_no_shows: int
    cancelled: Mapping[CancelledBy, int]
    rated: int
    average_rating: float | None
    upcoming: Sequence[Booking]
    upcoming_total: int
    notes: Sequence[ClientNote]
    notes_total: int


MAX_DAYS_NAMED = 366  # a longer span freed is offered as "any day" (the waitlist holds days of the booking window)


class AdminService:
    """What admins do to the schedule. Every change is written to the audit log in the same transaction."""

    def __init__(self, session: AsyncSession, settings: Settings, jobs: ReminderJobs) -> None:
        self.session = session
        self.settings = settings
        self.jobs = jobs
        self.schedule = settings.schedule

    def is_owner(self, user_id: int) -> bool:
        return user_id in self.settings.admin_ids

    async def is_admin(self, user_id: int) -> bool:
        return self.is_owner(user_id) or await self.session.get(Admin, user_id) is not None

    async def admin_ids(self) -> set[int]:
        added = await self.session.scalars(select(Admin.user_id))
        return set(self.settings.admin_ids) | set(added)

    async def quiet_ids(self) -> set[int]:
        """Admins who asked to hear nothing of what clients do."""
        return set(await self.session.scalars(select(QuietAdmin.user_id)))

    async def add_admin(self, actor_id: int, user_id: int) -> bool:
        self._require_owner(actor_id)
        if await self.is_admin(user_id):
            return False
        if await self.session.get(User, user_id) is None:
            raise ClientNotFound(f"user {user_id} has never talked to the bot")
        self.session.add(Admin(user_id=user_id, added_by=actor_id))
        await self.audit(actor_id, "admin.add", f"user:{user_id}", None, {"admin": user_id})
        return True

    async def remove_admin(self, actor_id: int, user_id: int) -> bool:
        self._require_owner(actor_id)
        if self.is_owner(user_id):
            raise NotAllowed("owners are configured in ADMIN_IDS")
        result = await self.session.execute(delete(Admin).where(Admin.user_id == user_id))
        if not getattr(result, "rowcount", 0):
            return False
        await self.audit(actor_id, "admin.remove", f"user:{user_id}", {"admin": user_id}, None)
        return True

    async def forgive_no_shows(self, actor_id: int, user_id: int, now: datetime | None = None) -> int:
        """The client's no-shows so far stop counting against MAX_NO_SHOWS: how many were forgiven."""
        user = await self.client(user_id)
        forgiven = await Bookings(self.session).unforgiven_no_shows(user_id)
        user.no_shows_forgiven_at = now or utcnow()
        await self.session.flush()
        await self.audit(actor_id, "client.forgive", f"user:{user_id}", {"no_shows": forgiven}, {"no_shows": 0})
        return forgiven

    async def client(self, user_id: int) -> User:
        user = await self.session.get(User, user_id)
        if user is None:
            raise ClientNotFound(f"user {user_id} has never talked to the bot")
        return user

    async def client_card(self, user_id: int, now: datetime | None = None) -> ClientCard:
        user = await self.client(user_id)
        history = await Bookings(self.session).history(user_id)
        rated, average = await Feedbacks(self.session).ratings_of_client(user_id)
        upcoming = await Bookings(self.session).upcoming_for_user(user_id, now or utcnow())
        notes, notes_total = await ClientNotes(self.session).latest(user_id, CARD_NOTES)
        ended: Counter[BookingStatus] = Counter()
        cancelled: Counter[CancelledBy] = Counter()
        for (status, by), count in history.items():
            ended[status] += count
            if status == BookingStatus.CANCELLED:
                cancelled[by or CancelledBy.CLIENT] += count
        return ClientCard(
            user=user,
            visits=ended[BookingStatus.COMPLETED],
            no_shows=ended[BookingStatus.NO_SHOW],
            unforgiven_no_shows=await Bookings(self.session).unforgiven_no_shows(user_id),
            cancelled=cancelled,
            rated=rated,
            average_rating=average,
            upcoming=upcoming[:CARD_UPCOMING],
            upcoming_total=len(upcoming),
            notes=notes,
            notes_total=notes_total,
        )

    async def add_client_note(self, actor_id: int, user_id: int, text: str, now: datetime | None = None) -> ClientNote:
        await self.client(user_id)
        note = await ClientNotes(self.session).add(
            user_id, actor_id, fitting("note", text, NOTE_LIMIT), now or utcnow()
        )
        await self.audit(actor_id, "client.note", f"user:{user_id}", None, {"note": note.id})
        return note

    async def set_booking_blocked(
        self, actor_id: int, user_id: int, blocked: bool, now: datetime | None = None
    ) -> bool:
        """Close or open self-booking for the client (admins still book for them): whether it changed."""
        await self.client(user_id)
        changed = await Users(self.session).set_booking_blocked(user_id, (now or utcnow()) if blocked else None)
        if changed:
            await self.audit(
                actor_id,
                "client.block" if blocked else "client.unblock",
                f"user:{user_id}",
                {"booking_blocked": not blocked},
                {"booking_blocked": blocked},
            )
        return changed

    async def find_clients(self, query: str, limit: int = 20) -> Sequence[User]:
        """Clients by id, @username or part of the name; the most recently active first."""
        statement = select(User).order_by(User.updated_at.desc()).limit(limit)
        query = query.strip()
        if query.isdigit():
            try:
                statement = statement.where(User.id == parse_id(query, MAX_USER_ID))
            except ValueError:
                return []
        elif query:
            pattern = f"%{query.removeprefix('@').lower()}%"
            statement = statement.where(
                func.lower(User.username).like(pattern)
                | func.lower(User.first_name).like(pattern)
                | func.lower(User.last_name).like(pattern)
            )
        return (await self.session.scalars(statement)).all()

    async def agenda(self, day: date, specialist_ids: Sequence[int] | None = None) -> DayAgenda:
        """A day of every specialist who works or has bookings then (or of `specialist_ids` only)."""
        start = datetime.combine(day, datetime.min.time(), tzinfo=self.settings.timezone)
        end = datetime.combine(day, datetime.max.time(), tzinfo=self.settings.timezone)
        query = (
            select(Booking)
            .where(Booking.status != BookingStatus.CANCELLED, Booking.starts_at < end, Booking.ends_at > start)
            .options(joinedload(Booking.user), joinedload(Booking.service), joinedload(Booking.specialist))
            .order_by(Booking.starts_at, Booking.id)
        )
        if specialist_ids is not None:
            query = query.where(Booking.specialist_id.in_(specialist_ids))
        bookings = (await self.session.scalars(query)).all()
        blocks = (
            await self.session.scalars(
                select(BlockedPeriod)
                .where(BlockedPeriod.starts_at < end, BlockedPeriod.ends_at > start)
                .order_by(BlockedPeriod.starts_at)
            )
        ).all()
        people = {item.id: item for item in await Specialists(self.session).listed()}
        people.update((booking.specialist_id, booking.specialist) for booking in bookings)
        if specialist_ids is not None:
            people = {key: value for key, value in people.items() if key in specialist_ids}
        ordered = sorted(people.values(), key=lambda item: (item.position, item.id))
        bookable = await Availability(self.session, self.schedule).hours(ordered, start, end)
        columns = [
            SpecialistDay(
                item.specialist,
                item.schedule.opening(day),
                [booking for booking in bookings if booking.specialist_id == item.specialist.id],
                [block for block in blocks if block.specialist_id == item.specialist.id],
            )
            for item in bookable
            if item.specialist.is_active or any(b.specialist_id == item.specialist.id for b in bookings)
        ]
        no_shows = await Bookings(self.session).no_show_counts({booking.user_id for booking in bookings})
        return DayAgenda(day, columns, [block for block in blocks if block.specialist_id is None], no_shows)

    async def record_visit(
        self,
        actor_id: int,
        booking_id: int,
        came: bool,
        *,
        specialist_id: int | None = None,
        now: datetime | None = None,
    ) -> Booking:
        """Whether the client came to a booking that has begun: `completed` or `no_show` (either may be corrected).
        `specialist_id`: a linked specialist acting, who may record only their own bookings'."""
        now = now or utcnow()
        booking = await Bookings(self.session).get(booking_id, for_update=True)
        if booking is None or (specialist_id is not None and booking.specialist_id != specialist_id):
            raise BookingNotFound(f"booking {booking_id}")
        if booking.status == BookingStatus.CANCELLED:
            raise BookingNotActive(f"booking {booking_id} was cancelled")
        if booking.starts_at > now:
            raise BookingNotActive(f"booking {booking_id} has not begun")
        outcome = BookingStatus.COMPLETED if came else BookingStatus.NO_SHOW
        booking.visit_recorded_at = now
        if booking.status != outcome:
            before = booking.status
            booking.status = outcome
            booking.updated_at = now
            await self.session.flush()
            await self.audit(
                actor_id, "booking.visit", f"booking:{booking.id}", {"status": before}, {"status": outcome}
            )
        return booking

    async def booking(self, booking_id: int) -> Booking:
        booking = await Bookings(self.session).get(booking_id, for_update=True)
        if booking is None:
            raise BookingNotFound(f"booking {booking_id}")
        return booking

    async def cancel_booking(
        self, booking_id: int, actor_id: int, reason: str | None, now: datetime | None = None
    ) -> Booking:
        """Admins may cancel any active booking that has not ended, cutoff or not."""
        now = now or utcnow()
        fitting("reason", reason or "", REASON_LIMIT)
        booking = await self.booking(booking_id)
        if booking.status != BookingStatus.ACTIVE or booking.ends_at <= now:
            raise BookingNotActive(f"booking {booking_id} is {booking.status}")
        before = _booking_state(booking)
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = booking.updated_at = now
        booking.cancelled_by = CancelledBy.ADMIN
        booking.cancel_reason = reason
        await self.session.flush()
        await self.audit(actor_id, "booking.cancel", f"booking:{booking.id}", before, _booking_state(booking))
        after_commit(self.session, lambda: self.jobs.unschedule(booking_id))
        after_commit(self.session, lambda: self.jobs.announce("cancelled_by_admin", booking_id))
        after_commit(self.session, metrics.BOOKINGS_CANCELLED.labels(by="admin").inc)
        freed = [self.schedule.local_date(booking.starts_at)]
        after_commit(self.session, lambda: self.jobs.offer_waitlist(freed))
        return booking

    async def block(
        self, actor_id: int, start: datetime, end: datetime, reason: str | None, *, specialist_id: int | None = None
    ) -> tuple[BlockedPeriod, bool, Sequence[Booking]]:
        """Block a period (for everyone, or one specialist), once: the block, whether this made it (a repeat
        finds the first), and the active bookings inside it, for the admin to decide on."""
        fitting("reason", reason or "", REASON_LIMIT)
        block, created = await BlockedPeriods(self.session).add_once(start, end, reason, specialist_id)
        if created:
            await self.audit(actor_id, "block.add", f"block:{block.id}", None, _block_state(block))
        return block, created, await self._active_inside(block)

    async def block_with_bookings(self, block_id: int) -> tuple[BlockedPeriod, Sequence[Booking]]:
        block = await self.session.get(BlockedPeriod, block_id)
        if block is None:
            raise BlockNotFound(f"block {block_id}")
        return block, await self._active_inside(block)

    async def _active_inside(self, block: BlockedPeriod) -> Sequence[Booking]:
        query = select(Booking).where(
            Booking.status == BookingStatus.ACTIVE,
            Booking.starts_at < block.ends_at,
            Booking.ends_at > block.starts_at,
        )
        if block.specialist_id is not None:
            query = query.where(Booking.specialist_id == block.specialist_id)
        inside = await self.session.scalars(
            query.options(joinedload(Booking.user), joinedload(Booking.service)).order_by(Booking.starts_at, Booking.id)
        )
        return inside.all()

    async def unblock(self, actor_id: int, block_id: int) -> BlockedPeriod:
        block = await self.session.get(BlockedPeriod, block_id)
        if block is None:
            raise BlockNotFound(f"block {block_id}")
        await self.audit(actor_id, "block.remove", f"block:{block.id}", _block_state(block), None)
        await self.session.delete(block)
        await self.session.flush()
        first, last = self.schedule.local_date(block.starts_at), self.schedule.local_date(block.ends_at)
        span = (last - first).days + 1
        freed = [first + timedelta(days=n) for n in range(span)] if span <= MAX_DAYS_NAMED else None
        after_commit(self.session, lambda: self.jobs.offer_waitlist(freed))
        return block

    async def upcoming_blocks(self, now: datetime | None = None) -> Sequence[BlockedPeriod]:
        result = await self.session.scalars(
            select(BlockedPeriod).where(BlockedPeriod.ends_at > (now or utcnow())).order_by(BlockedPeriod.starts_at)
        )
        return result.all()

    async def audit(
        self, actor_id: int, action: str, target: str | None, before: Any | None, after: Any | None
    ) -> None:
        self.session.add(
            AuditEntry(
                actor_id=actor_id,
                action=action,
                target=target,
                before=None if before is None else json.dumps(before, ensure_ascii=False, default=str),
                after=None if after is None else json.dumps(after, ensure_ascii=False, default=str),
            )
        )
        await self.session.flush()

    async def audit_page(self, page: int) -> tuple[Sequence[AuditEntry], int]:
        total = await self.session.scalar(select(func.count(AuditEntry.id))) or 0
        entries = await self.session.scalars(
            select(AuditEntry)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
            .offset(page * AUDIT_PAGE)
            .limit(AUDIT_PAGE)
        )
        return entries.all(), total

    async def recent_feedback(self, limit: int = 20) -> Sequence[tuple[Feedback, Booking]]:
        rows = await self.session.execute(
            select(Feedback, Booking)
            .join(Booking, Booking.id == Feedback.booking_id)
            .options(joinedload(Booking.user), joinedload(Booking.service))
            .order_by(Feedback.updated_at.desc(), Feedback.id.desc())
            .limit(limit)
        )
        return [(row[0], row[1]) for row in rows.all()]

    async def export_rows(self, start: datetime, end: datetime) -> Sequence[tuple[Booking, Feedback | None]]:
        rows = await self.session.execute(
            select(Booking, Feedback)
            .outerjoin(Feedback, Feedback.booking_id == Booking.id)
            .where(Booking.starts_at >= start, Booking.starts_at < end)
            .options(joinedload(Booking.user), joinedload(Booking.service), joinedload(Booking.specialist))
            .order_by(Booking.starts_at, Booking.id)
        )
        return [(row[0], row[1]) for row in rows.all()]

    async def all_services(self) -> Sequence[Service]:
        return (await self.session.scalars(select(Service).order_by(Service.position, Service.id))).all()

    async def add_service(
        self, actor_id: int, name: str, duration_minutes: int, price: str | None, description: str | None
    ) -> Service:
        fitting("name", name, NAME_LIMIT)
        fitting("price", price or "", PRICE_LIMIT)
        fitting("description", description or "", DESCRIPTION_LIMIT)
        last = await self.session.scalar(select(func.max(Service.position))) or 0
        service = Service(
            name=name, duration_minutes=duration_minutes, price=price, description=description, position=last + 1
        )
        self.session.add(service)
        await self.session.flush()
        await self.audit(actor_id, "service.add", f"service:{service.id}", None, _service_state(service))
        return service

    async def edit_service(self, actor_id: int, service_id: int, field: str, value: str) -> Service:
        service = await self._service(service_id)
        before = _service_state(service)
        if field == "name":
            service.name = fitting("name", value, NAME_LIMIT)
        elif field == "duration":
            service.duration_minutes = _positive_minutes(value)
        elif field == "price":
            service.price = fitting("price", value, PRICE_LIMIT) or None
        elif field == "description":
            service.description = fitting("description", value, DESCRIPTION_LIMIT) or None
        elif field == "buffer":
            service.buffer_minutes = _minutes(value, minimum=0)
        else:
            raise ValueError(f"unknown field {field!r}")
        await self.session.flush()
        await self.audit(actor_id, "service.edit", f"service:{service.id}", before, _service_state(service))
        return service

    async def toggle_service(self, actor_id: int, service_id: int) -> Service:
        service = await self._service(service_id)
        before = _service_state(service)
        service.is_active = not service.is_active
        await self.session.flush()
        await self.audit(actor_id, "service.toggle", f"service:{service.id}", before, _service_state(service))
        return service

    async def move_service_up(self, actor_id: int, service_id: int) -> None:
        ordered = move_up(list(await self.all_services()), service_id, ServiceNotFound(f"service {service_id}"))
        if ordered:
            await self.session.flush()
            order = {"order": [s.id for s in ordered]}
            await self.audit(actor_id, "service.order", f"service:{service_id}", None, order)

    async def _service(self, service_id: int) -> Service:
        service = await self.session.get(Service, service_id)
        if service is None:
            raise ServiceNotFound(f"service {service_id}")
        return service

    def _require_owner(self, actor_id: int) -> None:
        if not self.is_owner(actor_id):
            raise NotAllowed("only owners manage admins")


class Ordered(Protocol):
    id: Any
    position: Any


OrderedT = TypeVar("OrderedT", bound=Ordered)


def move_up(ordered: list[OrderedT], wanted: int, missing: Exception) -> list[OrderedT]:
    """Swap an item with the one before it and number them all again; empty when it is first already."""
    index = next((i for i, item in enumerate(ordered) if item.id == wanted), None)
    if index is None:
        raise missing
    if index == 0:
        return []
    ordered[index - 1], ordered[index] = ordered[index], ordered[index - 1]
    for position, item in enumerate(ordered):
        item.position = position
    return ordered


def _booking_state(booking: Booking) -> dict[str, Any]:
    return {
        "status": str(booking.status),
        "starts_at": booking.starts_at.isoformat(),
        "ends_at": booking.ends_at.isoformat(),
        "client": booking.user_id,
        "cancel_reason": booking.cancel_reason,
    }


def _block_state(block: BlockedPeriod) -> dict[str, Any]:
    return {
        "starts_at": block.starts_at.isoformat(),
        "ends_at": block.ends_at.isoformat(),
        "reason": block.reason,
    }


def _service_state(service: Service) -> dict[str, Any]:
    return {
        "name": service.name,
        "duration": service.duration_minutes,
        "price": service.price,
        "description": service.description,
        "buffer": service.buffer_minutes,
        "active": service.is_active,
    }


def _positive_minutes(value: str) -> int:
    return _minutes(value, minimum=1)


def _minutes(value: str, *, minimum: int) -> int:
    if not value.strip().isdigit() or not minimum <= int(value) <= 24 * 60:
        raise ValueError(f"minutes between {minimum} and 1440: {value!r}")
    return int(value)
