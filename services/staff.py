"""What admins (and linked specialists, within what is theirs) do to specialists: who they are, what they
perform, their week and their dates. Every change is audited in the same transaction."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from config import Settings
from core.availability import Shifts, Week
from core.errors import BookingsInTheWay, NotAllowed, ServiceNotFound, SpecialistNotFound
from database.engine import after_commit
from database.models import Booking, BookingStatus, QuietAdmin, Service, Specialist, utcnow
from database.repositories import Specialists
from services.admin import DESCRIPTION_LIMIT, AdminService, fitting, move_up
from services.admin_input import DatesHours
from services.availability import Availability

NAME_LIMIT = Specialist.__table__.c.name.type.length
ALL_SERVICES = "all"


@dataclass(frozen=True, slots=True)
class StaffMember:
    """A specialist as /staff and /hours show them: their services and their week (exceptions not included)."""

    specialist: Specialist
    service_ids: Sequence[int]
    week: Week


class StaffService:
    def __init__(self, session: AsyncSession, settings: Settings, admin: AdminService) -> None:
        self.session = session
        self.settings = settings
        self.admin = admin
        self.specialists = Specialists(session)
        self.availability = Availability(session, settings.schedule)

    async def listed(self) -> list[StaffMember]:
        """Everyone, hidden too, in their order, with their services and week."""
        everyone = await self.specialists.listed(hidden_too=True)
        weeks = await self.specialists.weeks([item.id for item in everyone])
        members = []
        for specialist in everyone:
            services = [] if specialist.all_services else await self.specialists.service_ids(specialist.id)
            week = self.availability.week(specialist, weeks.get(specialist.id), None)
            members.append(StaffMember(specialist, services, week))
        return members

    async def find(self, name: str) -> Sequence[Specialist]:
        return await self.specialists.by_name(name) if name.strip() else []

    async def named(self, text: str) -> tuple[Sequence[Specialist], str]:
        """The specialist a command names at its start, and the rest: the longest run of words that is someone's
        whole name (any case), else those whose name begins with the first word."""
        words = text.split()
        everyone = await self.specialists.listed(hidden_too=True)
        for count in range(len(words), 0, -1):
            name = " ".join(words[:count]).lower()
            exact = [item for item in everyone if item.name.lower() == name]
            if exact:
                return exact, " ".join(words[count:])
        if not words:
            return [], ""
        first = words[0].lower()
        return [item for item in everyone if item.name.lower().startswith(first)], " ".join(words[1:])

    async def get(self, specialist_id: int) -> Specialist:
        specialist = await self.specialists.get(specialist_id)
        if specialist is None:
            raise SpecialistNotFound(f"specialist {specialist_id}")
        return specialist

    async def linked(self, telegram_id: int) -> Specialist | None:
        """The specialist a Telegram user is, if an admin linked them (hidden ones too: their bookings remain)."""
        return await self.specialists.by_telegram_id(telegram_id)

    async def add(self, actor_id: int, name: str, services: str, description: str | None) -> Specialist:
        """A new specialist working the default week (WORK_*): `services` is `all` or service ids, comma-separated."""
        name = fitting("name", name.strip(), NAME_LIMIT)
        if not name:
            raise ValueError("a specialist needs a name")
        service_ids = await self._service_ids(services)
        last = await self.session.scalar(select(func.max(Specialist.position))) or 0
        specialist = Specialist(
            name=name,
            description=fitting("description", description or "", DESCRIPTION_LIMIT) or None,
            position=last + 1,
            all_services=service_ids is None,
            created_at=utcnow(),
        )
        self.session.add(specialist)
        await self.session.flush()
        if service_ids is not None:
            await self.specialists.set_services(specialist.id, service_ids)
        await self._audit(actor_id, "staff.add", specialist, None, await self._state(specialist))
        return specialist

    async def rename(self, actor_id: int, specialist_id: int, name: str) -> Specialist:
        name = fitting("name", name.strip(), NAME_LIMIT)
        if not name:
            raise ValueError("a specialist needs a name")
        return await self._change(actor_id, specialist_id, "staff.rename", lambda item: setattr(item, "name", name))

    async def describe(self, actor_id: int, specialist_id: int, text: str) -> Specialist:
        description = fitting("description", text.strip(), DESCRIPTION_LIMIT) or None
        return await self._change(
            actor_id, specialist_id, "staff.describe", lambda item: setattr(item, "description", description)
        )

    async def set_services(self, actor_id: int, specialist_id: int, services: str) -> Specialist:
        specialist = await self.get(specialist_id)
        service_ids = await self._service_ids(services)
        before = await self._state(specialist)
        specialist.all_services = service_ids is None
        await self.specialists.set_services(specialist.id, service_ids or [])
        await self._audit(actor_id, "staff.services", specialist, before, await self._state(specialist))
        after_commit(self.session, lambda: self.admin.jobs.offer_waitlist(None))
        return specialist

    async def toggle(self, actor_id: int, specialist_id: int) -> Specialist:
        """Hide a specialist from clients (their bookings stay), or show them again."""
        specialist = await self.get(specialist_id)
        if specialist.is_active and await self.specialists.count_active() == 1:
            raise NotAllowed("the last specialist clients can book stays")
        if not specialist.is_active:
            after_commit(self.session, lambda: self.admin.jobs.offer_waitlist(None))
        return await self._change(
            actor_id, specialist_id, "staff.toggle", lambda item: setattr(item, "is_active", not item.is_active)
        )

    async def move_up(self, actor_id: int, specialist_id: int) -> None:
        everyone = list(await self.specialists.listed(hidden_too=True))
        ordered = move_up(everyone, specialist_id, SpecialistNotFound(f"specialist {specialist_id}"))
        if ordered:
            await self.session.flush()
            order = {"order": [item.id for item in ordered]}
            await self.admin.audit(actor_id, "staff.order", f"specialist:{specialist_id}", None, order)

    async def link(self, actor_id: int, specialist_id: int, telegram_id: int) -> Specialist:
        """Make a Telegram user this specialist (unlinking them from another specialist first)."""
        other = await self.specialists.by_telegram_id(telegram_id)
        if other is not None and other.id != specialist_id:
            await self._change(actor_id, other.id, "staff.unlink", lambda item: setattr(item, "telegram_id", None))
        return await self._change(
            actor_id, specialist_id, "staff.link", lambda item: setattr(item, "telegram_id", telegram_id)
        )

    async def unlink(self, actor_id: int, specialist_id: int) -> Specialist:
        return await self._change(
            actor_id, specialist_id, "staff.unlink", lambda item: setattr(item, "telegram_id", None)
        )

    async def allow_own_days_off(self, actor_id: int, specialist_id: int, allowed: bool) -> Specialist:
        return await self._change(
            actor_id, specialist_id, "staff.own_days_off", lambda item: setattr(item, "may_edit_days_off", allowed)
        )

    async def set_week(self, actor_id: int, specialist_id: int, days: dict[int, Shifts]) -> Sequence[Booking]:
        """New hours for some weekdays; the upcoming bookings now outside the specialist's hours, to decide on."""
        specialist = await self.get(specialist_id)
        if not specialist.hours_set:
            # The week was WORK_*'s until now: write it out whole, so the days not named keep their hours.
            default = self.availability.schedule.week.days
            await self.specialists.set_weekdays(specialist.id, {day: _minutes(default[day]) for day in range(7)})
        before = await self._week_state(specialist)
        await self.specialists.set_weekdays(specialist.id, {day: _minutes(shifts) for day, shifts in days.items()})
        specialist.hours_set = True
        await self._audit(actor_id, "staff.hours", specialist, before, await self._week_state(specialist))
        after_commit(self.session, lambda: self.admin.jobs.offer_waitlist(None))  # longer hours free time
        return await self.outside_hours(specialist)

    async def set_dates(
        self, actor_id: int, specialist_id: int, hours: DatesHours, *, by_specialist: bool = False
    ) -> Sequence[Booking]:
        """Hours (none: days off) on a range of dates; the upcoming bookings now outside the hours.

        A linked specialist may do this to themself when an admin allowed it, and only where no booking is in the
        way: cancelling a client's booking is for the admins to decide."""
        specialist = await self.get(specialist_id)
        if by_specialist and (specialist.telegram_id != actor_id or not specialist.may_edit_days_off):
            raise NotAllowed(f"user {actor_id} may not change the dates of specialist {specialist_id}")
        days = [hours.first + timedelta(days=n) for n in range((hours.last - hours.first).days + 1)]
        before = await self.outside_hours(specialist)
        change = await self.session.begin_nested()
        await self.specialists.set_dates(specialist.id, days, _minutes(hours.shifts), hours.note)
        left_out = await self.outside_hours(specialist)
        if by_specialist and len(left_out) > len(before):
            await change.rollback()
            raise BookingsInTheWay(len(left_out) - len(before))
        await change.commit()
        state = {
            "from": hours.first.isoformat(),
            "to": hours.last.isoformat(),
            "hours": [[shift.start, shift.end] for shift in hours.shifts],
            "note": hours.note,
        }
        await self._audit(actor_id, "staff.dates", specialist, None, state)
        after_commit(self.session, lambda: self.admin.jobs.offer_waitlist(days))
        return left_out

    async def outside_hours(self, specialist: Specialist, now: datetime | None = None) -> Sequence[Booking]:
        """The specialist's upcoming active bookings that their hours no longer hold."""
        now = now or utcnow()
        upcoming = (
            await self.session.scalars(
                select(Booking)
                .where(
                    Booking.specialist_id == specialist.id,
                    Booking.status == BookingStatus.ACTIVE,
                    Booking.starts_at > now,
                )
                .options(joinedload(Booking.user), joinedload(Booking.service), joinedload(Booking.specialist))
                .order_by(Booking.starts_at, Booking.id)
            )
        ).all()
        if not upcoming:
            return []
        (bookable,) = await self.availability.hours([specialist], upcoming[0].starts_at, upcoming[-1].ends_at)
        return [booking for booking in upcoming if not _within(bookable.schedule.opening, booking)]

    async def quiet(self, user_id: int, quiet: bool) -> None:
        """Whether an admin is told of every booking (the default) or not."""
        found = await self.session.get(QuietAdmin, user_id)
        if quiet and found is None:
            self.session.add(QuietAdmin(user_id=user_id))
        elif not quiet and found is not None:
            await self.session.delete(found)
        await self.session.flush()

    async def is_quiet(self, user_id: int) -> bool:
        return await self.session.get(QuietAdmin, user_id) is not None

    async def _service_ids(self, text: str) -> list[int] | None:
        """`all` (None), or the ids of existing services, comma-separated."""
        text = text.strip().lower()
        if text in (ALL_SERVICES, "все", ""):
            return None
        try:
            wanted = sorted({int(part) for part in text.replace(" ", "").split(",") if part})
        except ValueError as error:
            raise ValueError(f"services are `all` or ids, comma-separated: {text!r}") from error
        found = set(await self.session.scalars(select(Service.id).where(Service.id.in_(wanted))))
        missing = [item for item in wanted if item not in found]
        if missing or not wanted:
            raise ServiceNotFound(f"services {missing}")
        return wanted

    async def _change(self, actor_id: int, specialist_id: int, action: str, change: Any) -> Specialist:
        specialist = await self.get(specialist_id)
        before = await self._state(specialist)
        change(specialist)
        await self.session.flush()
        await self._audit(actor_id, action, specialist, before, await self._state(specialist))
        return specialist

    async def _audit(self, actor_id: int, action: str, specialist: Specialist, before: Any, after: Any) -> None:
        await self.admin.audit(actor_id, action, f"specialist:{specialist.id}", before, after)

    async def _state(self, specialist: Specialist) -> dict[str, Any]:
        services: Any = ALL_SERVICES
        if not specialist.all_services:
            services = await self.specialists.service_ids(specialist.id)
        return {
            "name": specialist.name,
            "description": specialist.description,
            "services": services,
            "active": specialist.is_active,
            "telegram_id": specialist.telegram_id,
            "own_days_off": specialist.may_edit_days_off,
        }

    async def _week_state(self, specialist: Specialist) -> list[list[list[int]]]:
        weeks = await self.specialists.weeks([specialist.id])
        return [[list(shift) for shift in day] for day in weeks.get(specialist.id, [() for _ in range(7)])]


def _minutes(shifts: Shifts) -> tuple[tuple[int, int], ...]:
    return tuple((shift.start, shift.end) for shift in shifts)


def _within(opening: Any, booking: Booking) -> bool:
    """Whether the booking lies inside the hours of its day, or of the night before (a shift past midnight)."""
    day = booking.starts_at.date()
    for which in (day - timedelta(days=2), day - timedelta(days=1), day, day + timedelta(days=1)):
        if any(item.start <= booking.starts_at and booking.ends_at <= item.end for item in opening(which)):
            return True
    return False
