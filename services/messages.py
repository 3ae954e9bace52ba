"""What the bot says on its own initiative — reminders, feedback requests, notices to admins, a broadcast's
progress — as services ask for it. Services decide when and to whom; the words and buttons are rendered in
`bot/` by the composer `main.py` installs in the runtime (`bot.composer.Composer`)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple, Protocol

from aiogram.types import InlineKeyboardMarkup

from database.models import Booking, User, WaitlistEntry

# What a notice is about; "cancelled_by_admin" goes to the booking's linked specialist only (the admins know).
AdminEvent = Literal["booked", "cancelled", "rescheduled", "low_rating", "cancelled_by_admin", "released"]


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
    def reminder(
        self, booking: Booking, now: datetime, *, with_specialist: bool = False, last_call: bool = False
    ) -> Outgoing:
        """`last_call`: the nudge at CONFIRM_BY, asking the client to confirm."""
        ...

    def released(self, booking: Booking, *, with_specialist: bool = False) -> Outgoing:
        """The booking was not confirmed by CONFIRM_BY and was released (RELEASE_UNCONFIRMED)."""
        ...

    def waitlist_offer(self, entry: WaitlistEntry, starts: Sequence[datetime]) -> Outgoing:
        """Freed `starts` on the day `entry` waits for, as buttons that book them."""
        ...

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

    def visit_question(
        self, booking: Booking, admin: User | None, *, to_specialist: bool = False, with_specialist: bool = False
    ) -> Outgoing:
        """As the appointment ends: did the client come? ✅ / 🚫, for its specialist or an admin."""
        ...

    def broadcast_progress(self, admin: User | None, tally: Tally, *, final: bool) -> str: ...

    def broadcast_done(self, admin: User | None, tally: Tally) -> str: ...
