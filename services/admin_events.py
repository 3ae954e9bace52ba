"""Telling admins (those who did not ask for quiet) and the booking's own linked specialist what clients did: one
short message each, with a button to open that day."""

import logging
from typing import get_args

from sqlalchemy import select

from database.engine import commit, is_unavailable
from database.models import QuietAdmin, User
from database.repositories import Bookings, Feedbacks, Specialists, Users
from services import outages, runtime
from services.admin import AdminService
from services.delivery import DeliveryStatus, deliver
from services.messages import AdminEvent

log = logging.getLogger(__name__)
EVENTS = get_args(AdminEvent)


async def notify_admins(event: AdminEvent, booking_id: int, attempt: int = 0) -> None:
    rt = runtime.current()
    try:
        async with rt.sessionmaker() as session:
            booking = await Bookings(session).get(booking_id)
            if booking is None or event not in EVENTS:
                return
            admin_ids = await AdminService(session, rt.settings, rt.jobs).admin_ids()
            quiet = set(await session.scalars(select(QuietAdmin.user_id)))
            # The booking's own specialist, if linked, hears of it whether or not they are an admin.
            own = booking.specialist.telegram_id
            recipients = (admin_ids - quiet) | ({own} if own is not None else set())
            if event == "cancelled_by_admin":
                recipients = {own} - admin_ids if own is not None else set()
            recipients.discard(booking.user_id)
            admins = {u.id: u for u in await session.scalars(select(User).where(User.id.in_(recipients)))}
            several = await Specialists(session).count_active() > 1
            feedback = await Feedbacks(session).get(booking_id)
            rating = feedback.rating if feedback else None
    except Exception as error:
        if not is_unavailable(error):
            raise
        await outages.run_again_later(
            rt,
            f"Notice of {event} booking {booking_id}",
            error,
            attempt,
            lambda delay: rt.jobs.announce(event, booking_id, delay, attempt + 1),
        )
        return
    blocked = []
    for admin_id in sorted(recipients):
        admin = admins.get(admin_id)
        if admin is not None and admin.blocked_bot:
            continue
        to_specialist = admin_id == own and admin_id not in admin_ids
        text, markup = rt.composer.admin_notice(
            event, booking, rating, admin, to_specialist=to_specialist, with_specialist=several
        )
        delivery = await deliver(rt.bot, admin_id, text, markup, limiter=rt.limiter)
        if delivery.status is DeliveryStatus.BLOCKED and admin is not None:
            blocked.append(admin_id)
    if blocked:
        async with rt.sessionmaker() as session:
            for admin_id in blocked:
                await Users(session).set_blocked(admin_id, True)
            await commit(session)
