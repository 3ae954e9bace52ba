"""What the bot says on its own initiative — reminders, feedback requests, notices to admins, a broadcast's
progress — as services ask for it. Services decide when and to whom; the words and buttons are rendered in
`bot/` by the composer `main.py` installs in the runtime (`bot.composer.Composer`)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple, Protocol

from aiogram.types import InlineKeyboardMarkup

from database.models import Booking, User

# What a notice is about; "cancelled_by_admin" goes to the booking's linked specialist only (the admins know).
AdminEvent = Literal["booked", "cancelled", "rescheduled", "low_rating", "cancelled_by_admin"]


class Outgoing(NamedTuple):
    text: str
    markup: InlineKeyboardMarkup | None = None


@dataclass(frozen=True, slots=True)
class Tally:
    """Where a broadcast stands, by recipient."""

    total: int
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    unknown: int = 0
    pending: int = 0


class Composer(Protocol):
    def reminder(self, booking: Booking, now: datetime, *, with_specialist: bool = False) -> Outgoing: ...

    def feedback_request(self, booking: Booking) -> Outgoing: ...

    def admin_notice(
        self,
        event: AdminEvent,
        booking: Booking,
        rating: int | None,
        admin: User | None,
        *,
        to_specialist: bool = False,
        with_specialist: bool = False,
    ) -> Outgoing:
        """`admin`: the recipient, if they have talked to the bot (their language); `to_specialist`: the booking's
        own specialist (not an admin), whose button opens their own day; `with_specialist`: name the specialist."""
        ...

    def broadcast_progress(self, admin: User | None, tally: Tally, *, final: bool) -> str: ...

    def broadcast_done(self, admin: User | None, tally: Tally) -> str: ...
