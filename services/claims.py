"""Sending what the notification log holds a claim on — a booking's reminder or feedback request, a visit
question, a waitlist offer — and stamping it: one path for all of them.

The caller takes the send slot from the rate limiter *before* claiming, so a claim lives only as long as the
request itself; the send gives up in time for the claim to still be its own; and once Telegram has accepted
the message the stamp is written even through a database outage, since losing it would send the message twice.
"""

import asyncio
import itertools
import logging
from datetime import datetime, timedelta

from database.engine import commit, is_unavailable
from database.models import utcnow
from database.repositories import Claim, Notifications, Users
from services import runtime
from services.delivery import Delivery, DeliveryStatus, deliver
from services.messages import Outgoing

log = logging.getLogger(__name__)

RECORD_PATIENCE = timedelta(minutes=10)


async def send_claimed(
    rt: runtime.Runtime, claim: Claim, chat_id: int, message: Outgoing, what: str
) -> tuple[Delivery, datetime]:
    """Send a claimed message whose send slot the caller took before claiming it; then stamp the claim sent (or
    release it). The delivery, and when it ended."""
    delivery = await deliver(
        rt.bot,
        chat_id,
        message.text,
        message.markup,
        limiter=rt.limiter,
        slot_taken=True,
        give_up_after=rt.settings.claim_timeout.total_seconds() / 2,
    )
    sent_at = utcnow()
    await _record(rt, claim, chat_id, delivery, sent_at, what)
    return delivery, sent_at


async def _record(
    rt: runtime.Runtime, claim: Claim, chat_id: int, delivery: Delivery, sent_at: datetime, what: str
) -> None:
    """Stamp the claim sent (or release it), waiting out a database outage."""
    give_up_at = asyncio.get_running_loop().time() + RECORD_PATIENCE.total_seconds()
    for attempt in itertools.count(1):
        try:
            async with rt.sessionmaker() as session:
                log_ = Notifications(session)
                if delivery.status is DeliveryStatus.SENT:
                    await log_.mark_sent(claim, delivery.message_id, sent_at)
                else:
                    await log_.release(claim)
                if delivery.status is DeliveryStatus.BLOCKED:
                    await Users(session).set_blocked(chat_id, True)
                    log.info("User %s has blocked the bot; no more messages to them", chat_id)
                await commit(session)
            return
        except Exception as error:
            if not is_unavailable(error) or asyncio.get_running_loop().time() > give_up_at:
                raise
            log.warning("Cannot record the %s yet, retrying: %s", what, error)
            await asyncio.sleep(min(0.5 * 2 ** (attempt - 1), 5))
