"""The waitlist: clients waiting for a time to free up on a full day, and the offers of the times that free up.

Offers go out from a scheduler job (`offer_freed_times`) after whatever freed the time is committed, and from
every sweep as a safety net. Each offer of a start to an entry is claimed in the notification log before it is
sent: whoever runs the job, each waiting client hears of each freed time once. Taking an offer is an ordinary
booking, so the database decides between clients who race for the same time.
"""

import asyncio
import logging
from collections.abc import Sequence
from datetime import date, datetime

from core.errors import SlotNotOffered, TooManyWaiting
from core.reminder_plan import offer_kind
from database.engine import commit, is_unavailable
from database.models import Service, WaitlistEntry, utcnow
from database.repositories import Notifications, Waitlist
from services import runtime
from services.availability import ANY_SPECIALIST
from services.booking import BookingService
from services.claims import send_claimed
from services.delivery import DeliveryStatus

log = logging.getLogger(__name__)

MAX_WAITING = 3  # days a client may wait for at once


class WaitlistService:
    """Waitlist rules over the update's unit of work, on top of the booking rules."""

    def __init__(self, booking: BookingService) -> None:
        self.booking = booking
        self.settings = booking.settings
        self.waitlist = Waitlist(booking.session)

    async def full_days(self, service_id: int, specialist_id: int, now: datetime) -> tuple[Service, list[date]]:
        """The service (still offered, and performed by the specialist if one is named: callback data is
        untrusted) and the days in the booking window its hours and blocks leave open but bookings have filled."""
        service = await self.booking.active_service(service_id)
        if specialist_id != ANY_SPECIALIST:
            await self.booking.specialist_for(service, specialist_id)
        return service, await self.booking.full_days(service, now, specialist_id=specialist_id)

    async def join(self, user_id: int, service_id: int, specialist_id: int, day: date, now: datetime) -> bool:
        """Wait for a time on `day`: False if the client waits for it already. A day with free time, or one
        nobody could ever offer, is refused (SlotNotOffered): there is nothing to wait for."""
        service, full = await self.full_days(service_id, specialist_id, now)
        if day not in full:
            raise SlotNotOffered(f"{day} is not a full day of service {service_id}")
        today = self.booking.schedule.local_date(now)
        if await self.waitlist.count_of_user(user_id, today) >= MAX_WAITING:
            raise TooManyWaiting(MAX_WAITING)
        return await self.waitlist.add(user_id, service.id, specialist_id or None, day, now)

    async def entries(self, user_id: int, now: datetime) -> Sequence[WaitlistEntry]:
        return await self.waitlist.of_user(user_id, self.booking.schedule.local_date(now))

    async def leave(self, entry_id: int, user_id: int) -> date | None:
        """Stop waiting: the day the client no longer waits for, or None if it was not theirs (or is gone)."""
        entry = await self.waitlist.get(entry_id)
        if entry is None or entry.user_id != user_id or not await self.waitlist.remove(entry_id, user_id):
            return None
        return entry.day

    async def waiting_with_free_starts(
        self, days: Sequence[date] | None, now: datetime
    ) -> list[tuple[WaitlistEntry, list[datetime]]]:
        """Every entry waiting on these days (None: all) whose day has free starts now not yet offered to it, with
        those starts, oldest entry first; entries whose day has passed are dropped. (The offer's claim decides;
        leaving out what is plainly offered already spares a send slot per waiting client on every sweep.)"""
        today = self.booking.schedule.local_date(now)
        dropped = await self.waitlist.drop_before(today)
        if dropped:
            log.info("Waitlist: %d entries expired", dropped)
        found = []
        for entry in await self.waitlist.waiting(days, today):
            if entry.user.blocked_bot:
                continue
            if starts := await self.booking.waited_for_starts(entry.service_id, entry.specialist_id, entry.day, now):
                found.append((entry, starts))
        offered = await Notifications(self.booking.session).offers_taken(
            [entry.id for entry, _ in found], now - self.settings.claim_timeout
        )
        fresh = [(entry, [s for s in starts if (entry.id, offer_kind(s)) not in offered]) for entry, starts in found]
        return [(entry, starts) for entry, starts in fresh if starts]


async def offer_freed_times(days: list[str] | None = None) -> None:
    """Offer the free starts of these days (ISO dates; None: every day anyone waits for) to those waiting."""
    rt = runtime.current()
    async with rt.tracked():
        await offer(rt, None if days is None else [date.fromisoformat(day) for day in days])


async def offer(rt: runtime.Runtime, days: Sequence[date] | None) -> None:
    """Send every waiting client the free starts of their day not offered to them since they were last taken; a
    database outage leaves the offers to the next sweep."""
    try:
        async with rt.sessionmaker() as session:
            service = WaitlistService(BookingService(session, rt.settings, rt.jobs))
            waiting = await service.waiting_with_free_starts(days, utcnow())
            await commit(session)
    except Exception as error:
        if not is_unavailable(error):
            raise
        log.warning("Waitlist offers put off to the next sweep: %s", error)
        return
    sent = await asyncio.gather(*(_offer_to(rt, entry, starts) for entry, starts in waiting))
    if any(sent):
        log.info("Waitlist: %d offers sent", sum(sent))


async def _offer_to(rt: runtime.Runtime, entry: WaitlistEntry, starts: list[datetime]) -> bool:
    """Claim the starts not offered to the entry before, and offer them in one message: whether it went out."""
    by_kind = {offer_kind(start): start for start in starts}
    await rt.limiter.acquire()  # before claiming (services.claims)
    try:
        async with rt.sessionmaker() as session:
            claim, kinds = await Notifications(session).claim_offers(
                entry.id, list(by_kind), utcnow(), rt.settings.claim_timeout
            )
            await commit(session)
    except Exception as error:
        if not is_unavailable(error):
            raise
        log.warning("Offer to waitlist entry %s put off to the next sweep: %s", entry.id, error)
        return False
    if not kinds:
        return False
    message = rt.composer.waitlist_offer(entry, [by_kind[kind] for kind in kinds])
    delivery, _ = await send_claimed(rt, claim, entry.user_id, message, f"offer to waitlist entry {entry.id}")
    return delivery.status is DeliveryStatus.SENT
