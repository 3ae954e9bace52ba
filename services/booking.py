from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from config import Settings
from core.errors import (
    AlreadyBooked,
    BookingInPast,
    BookingNotActive,
    BookingNotFound,
    ClosedByAdmin,
    InputTooLong,
    NoShowLimit,
    ServiceUnavailable,
    SlotNotOffered,
    SlotTaken,
    SpecialistUnavailable,
    TooLateToChange,
    TooManyBookings,
)
from core.reminder_plan import offer_kind
from database.engine import TransactionMode, after_commit, use_transactions
from database.models import Booking, BookingStatus, CancelledBy, Feedback, Service, Specialist, User, utcnow
from database.repositories import (
    Bookings,
    DayEntry,
    Feedbacks,
    Notifications,
    Services,
    Specialists,
    Users,
    Waitlist,
)
from services import metrics
from services.availability import ANY_SPECIALIST, Availability, Bookable
from services.catalog import Catalog, Snapshot
from services.scheduling import BookingTimes, ReminderJobs

OVERLAP_MARKER = "booking_overlap"
MAX_COMMENT_LENGTH = 2000
LOW_RATING = 3  # and below: admins are told at once


@dataclass(frozen=True, slots=True)
class TelegramProfile:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language: str | None = None

    def stored_fields(self) -> dict[str, object]:
        """The User columns this profile sets; a user who writes to the bot has not blocked it."""
        return {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "username": self.username,
            "language": self.language,
            "blocked_bot": False,
        }


async def ensure_default_service(session: AsyncSession, name: str, duration_minutes: int) -> None:
    """A fresh installation offers one service, as long as a slot, so clients can book at once."""
    if await Services(session).count() == 0:
        session.add(Service(name=name, duration_minutes=duration_minutes))
        await session.flush()


class BookingService:
    """Booking rules over one session (one unit of work); the caller commits via `database.engine.commit`."""

    def __init__(
        self, session: AsyncSession, settings: Settings, jobs: ReminderJobs, catalog: Catalog | None = None
    ) -> None:
        self.session = session
        self.settings = settings
        self.jobs = jobs
        self.schedule = settings.schedule
        self.users = Users(session)
        self.services = Services(session)
        self.bookings = Bookings(session)
        self.specialists = Specialists(session)
        self.catalog = catalog
        self.catalog_revision: int | None = None  # read with the sender
        self._snapshot: Snapshot | None = None
        self.availability = Availability(session, self.schedule, self.snapshot if catalog is not None else None)
        self._several: bool | None = None
        self.feedbacks = Feedbacks(session)
        self.waitlist = Waitlist(session)
        self.notifications = Notifications(session)

    async def sender(self, profile: TelegramProfile) -> "Sender":
        """Who sent an update: the stored user if up to date (a read), else a stand-in until `Sender.save`."""
        wanted = profile.stored_fields()
        found = await self.users.sender(profile.id)
        self.catalog_revision = found.catalog_revision
        user = found.user
        if user is None:
            return Sender(self, profile, User(id=profile.id, **wanted), found.listed_admin, saved=False)
        if all(getattr(user, name) == value for name, value in wanted.items()):
            return Sender(self, profile, user, found.listed_admin, saved=True)
        for name, value in wanted.items():  # read as columns, in no session: the stand-in keeps what is stored
            setattr(user, name, value)
        return Sender(self, profile, user, found.listed_admin, saved=False)

    async def snapshot(self) -> Snapshot | None:
        """The catalog as this update sees it (None without a process catalog: every read goes to the database)."""
        if self._snapshot is None and self.catalog is not None:
            self._snapshot = await self.catalog.snapshot(self.session, self.catalog_revision)
        return self._snapshot

    async def register_user(self, profile: TelegramProfile) -> User:
        """Create the user or bring the stored one up to date with the profile."""
        await use_transactions(self.session, TransactionMode.WRITE)
        return await self.users.save(profile.id, profile.stored_fields())

    async def active_services(self) -> Sequence[Service]:
        snapshot = await self.snapshot()
        return snapshot.active_services() if snapshot is not None else await self.services.active()

    async def active_service(self, service_id: int) -> Service:
        snapshot = await self.snapshot()
        if snapshot is None:
            service = await self.services.get(service_id)
        elif (kept := snapshot.services.get(service_id)) is not None:
            service = await self.session.merge(kept, load=False)  # a booking written refers to it
        else:
            service = None
        if service is None or not service.is_active:
            raise ServiceUnavailable(f"service {service_id} is not offered")
        return service

    async def specialists_for(self, service: Service) -> Sequence[Specialist]:
        """The specialists a client may choose between for a service, in their order."""
        return await self.availability.performing(service.id)

    async def specialist_for(self, service: Service, specialist_id: int) -> Specialist:
        """One specialist who performs the service (callback data is untrusted)."""
        found = await self.availability.performing(service.id, specialist_id)
        if specialist_id == ANY_SPECIALIST or not found:
            raise SpecialistUnavailable(f"specialist {specialist_id} does not perform service {service.id}")
        return found[0]

    async def performs(self, specialist: Specialist, service: Service) -> bool:
        return specialist.all_services or service.id in await self.specialists.service_ids(specialist.id)

    async def several_specialists(self) -> bool:
        """Whether clients meet more than one specialist: only then do texts name the specialist."""
        if self._several is None:
            snapshot = await self.snapshot()
            active = snapshot.active_specialists() if snapshot is not None else await self.specialists.count_active()
            self._several = active > 1
        return self._several

    async def available_days(
        self,
        service: Service,
        now: datetime,
        *,
        specialist_id: int = ANY_SPECIALIST,
        moving: Booking | None = None,
    ) -> list[date]:
        """Days with a free start for `service` with the specialist (or anyone who performs it), or for `moving`
        (a booking being moved, which keeps its length)."""
        duration, buffer = _length(service, moving), _buffer(service)
        candidates = await self._window_hours(service, specialist_id, duration, now)
        return await self._free_days(candidates, duration, buffer, now, moving)

    async def full_days(self, service: Service, now: datetime, *, specialist_id: int = ANY_SPECIALIST) -> list[date]:
        """Days the hours and blocks leave open for `service` (with the specialist, or anyone) but bookings have
        filled: the days a client may wait for."""
        duration, buffer = _duration(service), _buffer(service)
        candidates = await self._window_hours(service, specialist_id, duration, now)
        open_days = {day for candidate in candidates for day in candidate.days(duration, buffer, now)}
        return sorted(open_days.difference(await self._free_days(candidates, duration, buffer, now, None)))

    async def _window_hours(
        self, service: Service, specialist_id: int, duration: timedelta, now: datetime
    ) -> list[Bookable]:
        """Who performs the service (the specialist, or anyone), with their hours and blocks over the booking
        window; their bookings not read yet."""
        window = self.schedule.booking_window(now)
        specialists = await self.availability.performing(service.id, specialist_id)
        return await self.availability.hours(specialists, window.start, window.end + duration)

    async def _free_days(
        self,
        candidates: list[Bookable],
        duration: timedelta,
        buffer: timedelta,
        now: datetime,
        moving: Booking | None,
    ) -> list[date]:
        # A day is in the list once one specialist has a free start then: each one's bookings are read only for
        # the days nobody before them (in their order) has decided yet — usually the first decides nearly all.
        undecided = set(self.schedule.window_days(now))
        found: set[date] = set()
        for candidate in candidates:
            # The days their hours and the blocks leave a start on: a day nobody can offer (the window's last,
            # past its end) would otherwise be read for every specialist in turn.
            theirs = candidate.days(duration, buffer, now, among=undecided)
            if not theirs:
                continue
            first, last = candidate.schedule.span(min(theirs)), candidate.schedule.span(max(theirs))
            assert first is not None  # they work on both days
            assert last is not None
            await self.availability.add_bookings(
                [candidate], first.start, last.end + buffer, exclude_id=moving.id if moving else None
            )
            free = candidate.days(duration, buffer, now, among=set(theirs))
            found.update(free)
            undecided.difference_update(free)
        return sorted(found)

    async def available_starts(
        self,
        service: Service,
        day: date,
        now: datetime,
        *,
        specialist_id: int = ANY_SPECIALIST,
        moving: Booking | None = None,
    ) -> list[datetime]:
        """Free starts on `day`: the specialist's, or the union over everyone who performs the service."""
        midnight = _midnight(day, self.schedule.tz)
        duration, buffer = _length(service, moving), _buffer(service)
        specialists = await self.availability.performing(service.id, specialist_id)
        candidates = await self.availability.hours(specialists, midnight, midnight + timedelta(days=1))
        spans = [span for item in candidates if (span := item.schedule.span(day)) is not None]
        if not spans:
            return []
        working = [item for item in candidates if item.works_on(day)]
        await self.availability.add_bookings(
            working,
            min(span.start for span in spans),
            max(span.end for span in spans) + buffer,
            exclude_id=moving.id if moving else None,
        )
        starts: set[datetime] = set()
        for bookable in working:
            starts.update(bookable.free_starts(day, duration, buffer, now))
        return sorted(starts)

    async def book(
        self,
        user_id: int,
        service_id: int,
        starts_at: datetime,
        now: datetime | None = None,
        *,
        specialist_id: int = ANY_SPECIALIST,
        by_admin: bool = False,
    ) -> Booking:
        """Book for a client with a specialist, or with whoever is free (the least booked that day, then by
        their order); an admin booking on their behalf is not bound by the per-client limit."""
        now = now or utcnow()
        service = await self.active_service(service_id)
        await self.users.lock(user_id)
        day = self.schedule.local_date(starts_at)
        checks = await self.bookings.before_booking(user_id, service_id, starts_at, day, now)
        if checks.twin_id is not None and (twin := await self.bookings.get(checks.twin_id)) is not None:
            raise AlreadyBooked(twin)
        limit = self.settings.max_active_bookings
        if not by_admin and checks.upcoming >= limit:
            raise TooManyBookings(limit)
        if not by_admin:
            self._refuse_self_booking(checks.booking_blocked, checks.no_shows)
        duration = _duration(service)
        booking = Booking(
            user_id=user_id,
            service=service,
            starts_at=starts_at,
            ends_at=starts_at + duration,
            occupied_until=starts_at + duration + _buffer(service),
            status=BookingStatus.ACTIVE,
            booked_at=now,
            created_at=now,
            updated_at=now,
        )
        free = await self._free_specialists(service, specialist_id, starts_at, duration, now, None)

        def add(specialist: Specialist) -> None:
            booking.specialist = specialist
            self.session.add(booking)

        await self._write_slot(free, add)
        if checks.anyone_waiting and (waiting := await self.waitlist.on_day(day)):
            # The client no longer waits for the service on that day, with anyone.
            fulfilled = [entry.id for entry in waiting if entry.user_id == user_id and entry.service_id == service.id]
            if fulfilled:
                await self.waitlist.remove_entries(fulfilled)
            await self._spend_taken_offers([entry for entry in waiting if entry.id not in fulfilled], day, now)
        self._schedule_after_commit(booking, None if by_admin else "booked")
        after_commit(self.session, metrics.BOOKINGS_CREATED.inc)
        return booking

    async def reschedule(
        self,
        booking_id: int,
        user_id: int,
        starts_at: datetime,
        now: datetime | None = None,
        *,
        specialist_id: int | None = None,
        by_admin: bool = False,
    ) -> Booking:
        """Move a client's booking, keeping its id and (unless `specialist_id` says otherwise: a specialist, or
        anyone) its specialist; admins are not bound by the cancellation cutoff."""
        now = now or utcnow()
        booking = await self.changeable_booking(booking_id, user_id, now, enforce_cutoff=not by_admin)
        service = await self.active_service(booking.service_id)
        wanted = booking.specialist_id if specialist_id is None else specialist_id
        if booking.starts_at == starts_at and wanted in (ANY_SPECIALIST, booking.specialist_id):
            return booking
        duration = _length(service, booking)
        free = await self._free_specialists(service, wanted, starts_at, duration, now, booking)

        freed = self.schedule.local_date(booking.starts_at)

        def move(specialist: Specialist) -> None:
            booking.specialist = specialist
            booking.starts_at, booking.ends_at = starts_at, starts_at + duration
            booking.occupied_until = starts_at + duration + _buffer(service)
            booking.booked_at = booking.updated_at = now
            booking.confirmed_at = None
            booking.sequence += 1

        await self._write_slot(free, move)
        day = self.schedule.local_date(starts_at)
        await self._spend_taken_offers(await self.waitlist.on_day(day), day, now)
        await self._forget_sent_reminders(booking.id)
        self._schedule_after_commit(booking, None if by_admin else "rescheduled")
        self._offer_freed_after_commit([freed])
        return booking

    async def _spend_taken_offers(self, waiting: Sequence[DayEntry], day: date, now: datetime) -> None:
        """Offers to the waitlist of starts on `day` that are no longer free (this booking took them) are spent:
        forgotten, so that the same start, freed again, is offered again (once more)."""
        for entry in waiting:
            if not entry.offers:
                continue
            starts = await self.waited_for_starts(entry.service_id, entry.specialist_id, day, now)
            free = {offer_kind(start) for start in starts}
            if spent := [kind for kind in entry.offers if kind not in free]:
                await self.notifications.forget_offers(entry.id, spent)

    async def waited_for_starts(
        self, service_id: int, specialist_id: int | None, day: date, now: datetime
    ) -> list[datetime]:
        """The free starts on `day` that a waitlist entry (a service, with a specialist or anyone) waits for: none
        once the service or the specialist is no longer offered."""
        try:
            service = await self.active_service(service_id)
            return await self.available_starts(service, day, now, specialist_id=specialist_id or ANY_SPECIALIST)
        except (ServiceUnavailable, SpecialistUnavailable):
            return []

    async def cancel(self, booking_id: int, user_id: int, now: datetime | None = None) -> Booking:
        now = now or utcnow()
        booking = await self.changeable_booking(booking_id, user_id, now)
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = booking.updated_at = now
        booking.cancelled_by = CancelledBy.CLIENT
        await self.session.flush()
        after_commit(self.session, lambda: self.jobs.unschedule(booking_id))
        after_commit(self.session, lambda: self.jobs.announce("cancelled", booking_id))
        after_commit(self.session, metrics.BOOKINGS_CANCELLED.labels(by="client").inc)
        self._offer_freed_after_commit([self.schedule.local_date(booking.starts_at)])
        return booking

    async def confirm_attendance(
        self, booking_id: int, user_id: int, now: datetime | None = None
    ) -> tuple[Booking, bool]:
        """The client says they will come: recorded once (the database keeps the first confirmation of
        concurrent clicks). The booking, and whether this call recorded it."""
        now = now or utcnow()
        booking = await self.own_booking(booking_id, user_id)
        if booking.status != BookingStatus.ACTIVE:
            raise BookingNotActive(f"booking {booking_id} is {booking.status}")
        if booking.starts_at <= now:
            raise BookingInPast(f"booking {booking_id} has started")
        recorded = await self.bookings.confirm(booking_id, now)
        await self.session.refresh(booking, ["confirmed_at"])
        return booking, recorded

    async def upcoming(self, user_id: int, now: datetime | None = None) -> Sequence[Booking]:
        return await self.bookings.upcoming_for_user(user_id, now or utcnow())

    async def own_booking(self, booking_id: int, user_id: int) -> Booking:
        booking = await self.bookings.get(booking_id, for_update=True)
        if booking is None or booking.user_id != user_id:
            raise BookingNotFound(f"booking {booking_id}")
        return booking

    async def ensure_may_book(self, client: User) -> None:
        """Refuse a client (as read with this update) an admin closed booking for, or who missed MAX_NO_SHOWS
        appointments since an admin last forgave them (0: never, and nothing to read)."""
        no_shows = await self.bookings.unforgiven_no_shows(client.id) if self.settings.max_no_shows else 0
        self._refuse_self_booking(client.booking_blocked_at is not None, no_shows)

    def _refuse_self_booking(self, blocked: bool, no_shows: int) -> None:
        if blocked:
            raise ClosedByAdmin(self.settings.business_contact)
        limit = self.settings.max_no_shows
        if limit and no_shows >= limit:
            raise NoShowLimit(no_shows, self.settings.business_contact)

    async def client_booking(self, booking_id: int, user_id: int) -> Booking:
        """A client's own booking, in any state, only to read."""
        booking = await self.bookings.get(booking_id)
        if booking is None or booking.user_id != user_id:
            raise BookingNotFound(f"booking {booking_id}")
        return booking

    async def changeable_booking(
        self, booking_id: int, user_id: int, now: datetime, *, enforce_cutoff: bool = True
    ) -> Booking:
        """A client's own active future booking that is not yet inside the cancellation cutoff."""
        booking = await self.own_booking(booking_id, user_id)
        if booking.status != BookingStatus.ACTIVE:
            raise BookingNotActive(f"booking {booking_id} is {booking.status}")
        if booking.starts_at <= now:
            raise BookingInPast(f"booking {booking_id} has started")
        if enforce_cutoff and booking.starts_at - now < self.settings.cancel_cutoff:
            raise TooLateToChange(self.settings.cancel_cutoff)
        return booking

    async def rate(self, booking_id: int, user_id: int, rating: int, now: datetime | None = None) -> Booking:
        if not 1 <= rating <= 5:
            raise ValueError(f"rating {rating} is outside 1-5")
        now = now or utcnow()
        booking = await self.own_booking(booking_id, user_id)
        if booking.status in (BookingStatus.CANCELLED, BookingStatus.NO_SHOW):
            raise BookingNotActive(f"booking {booking_id} was {booking.status}")
        if booking.ends_at > now:
            raise BookingNotActive(f"booking {booking_id} has not taken place yet")
        previous = await self.feedbacks.get(booking.id)
        await self.feedbacks.upsert_rating(booking.id, rating, now)
        if rating <= LOW_RATING and (previous is None or previous.rating != rating):
            after_commit(self.session, lambda: self.jobs.announce("low_rating", booking_id))
        return booking

    async def comment(self, booking_id: int, user_id: int, text: str) -> Feedback:
        await self.own_booking(booking_id, user_id)
        feedback = await self.feedbacks.get(booking_id)
        if feedback is None:
            raise BookingNotActive(f"booking {booking_id} has no rating to comment on")
        text = text.strip()
        if len(text) > MAX_COMMENT_LENGTH:
            raise InputTooLong("comment", MAX_COMMENT_LENGTH)
        feedback.comment = text
        await self.session.flush()
        return feedback

    async def _free_specialists(
        self,
        service: Service,
        specialist_id: int,
        starts_at: datetime,
        duration: timedelta,
        now: datetime,
        moving: Booking | None,
    ) -> list[Specialist]:
        """Who could take the requested start (callback data is untrusted), the least booked that day first.

        Only a first opinion: the database has the last word when the booking is written."""
        window = self.schedule.booking_window(now)
        if not window.start <= starts_at <= window.end:
            raise SlotNotOffered(f"{starts_at.isoformat()} is outside the booking window")
        bookable = await self._bookable(
            service, specialist_id, starts_at, starts_at + duration + _buffer(service), moving
        )
        if specialist_id != ANY_SPECIALIST and not bookable:
            raise SpecialistUnavailable(f"specialist {specialist_id} does not perform service {service.id}")
        offered = [item for item in bookable if item.schedule.offers(starts_at, duration)]
        if not offered:
            raise SlotNotOffered(f"{starts_at.isoformat()} is not on the schedule")
        free = [item for item in offered if item.is_free(starts_at, duration, _buffer(service))]
        if not free:
            raise SlotTaken(f"{starts_at.isoformat()} is taken")
        if len(free) == 1:
            return [free[0].specialist]
        midnight = _midnight(self.schedule.local_date(starts_at), self.schedule.tz)
        load = await self.bookings.counts_between(
            [item.specialist.id for item in free], midnight, midnight + timedelta(days=1)
        )
        free.sort(key=lambda item: (load.get(item.specialist.id, 0), item.specialist.position, item.specialist.id))
        return [item.specialist for item in free]

    async def _write_slot(self, candidates: Sequence[Specialist], change: Callable[[Specialist], None]) -> None:
        # The database has the last word on overlaps (exclusion constraint / trigger); a savepoint keeps the rest
        # of the update's transaction usable when it says no, and the next free specialist is tried.
        for candidate in candidates:
            # The catalog's are detached: the booking must refer to the session's own.
            specialist = candidate if candidate in self.session else await self.session.merge(candidate, load=False)
            try:
                async with self.session.begin_nested():
                    change(specialist)
                    await self.session.flush()
                return
            except IntegrityError as error:
                if OVERLAP_MARKER not in str(error.orig):
                    raise
        raise SlotTaken("the slot was taken meanwhile")

    async def _forget_sent_reminders(self, booking_id: int) -> None:
        await Notifications(self.session).forget_reminders(booking_id)

    async def _bookable(
        self, service: Service, specialist_id: int, start: datetime, end: datetime, moving: Booking | None
    ) -> list[Bookable]:
        specialists = await self.availability.performing(service.id, specialist_id)
        return await self.availability.bookable(specialists, start, end, exclude_id=moving.id if moving else None)

    def _offer_freed_after_commit(self, days: Sequence[date] | None) -> None:
        """Once what freed time on these days (None: any day) is committed, offer it to those waiting."""
        after_commit(self.session, lambda: self.jobs.offer_waitlist(days))

    def _schedule_after_commit(self, booking: Booking, event: str | None) -> None:
        """Jobs for the booking once it is committed, and a notice to admins of what the client did."""
        times = BookingTimes.of(booking)
        after_commit(self.session, lambda: self.jobs.schedule(times))
        if event is not None:
            after_commit(self.session, lambda: self.jobs.announce(event, times.booking_id))


@dataclass(slots=True)
class Sender:
    """An update's sender. A new client (or a changed profile) is saved before a handler that writes, or
    after one that only reads has replied: a new client's first message waits for no write lock.
    Until then `user` is a stand-in that is not in the session, good for reading its fields."""

    service: BookingService
    profile: TelegramProfile
    user: User
    listed_admin: bool  # in the admins table (owners come from the settings)
    saved: bool

    async def save(self) -> User:
        if not self.saved:
            self.user = await self.service.register_user(self.profile)
            self.saved = True
        return self.user


def _duration(service: Service) -> timedelta:
    return timedelta(minutes=service.duration_minutes)


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=tz)


def _buffer(service: Service) -> timedelta:
    return timedelta(minutes=service.buffer_minutes)


def _length(service: Service, moving: Booking | None) -> timedelta:
    """A booking keeps the length it was made with: a service's new duration applies to new bookings only."""
    return moving.ends_at - moving.starts_at if moving is not None else _duration(service)
