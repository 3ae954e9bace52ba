"""The words and buttons of what the bot sends on its own initiative (services.messages.Composer), in each
recipient's language."""

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from html import escape

from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import keyboards
from bot.admin_texts import admin_text
from bot.admin_views import booking_values
from bot.callbacks import AdminDay, OwnDay, OwnVisitMark, VisitMark
from bot.formatting import ddmm, hhmm, local, service_label, service_with, weekday, when_phrase
from bot.texts import Lang, pick_language, t
from config import Settings
from database.models import Booking, User, WaitlistEntry
from services.messages import AdminEvent, Outgoing, Tally


class Composer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def reminder(
        self, booking: Booking, now: datetime, *, with_specialist: bool = False, last_call: bool = False
    ) -> Outgoing:
        lang = self._lang(booking.user)
        when = when_phrase(lang, booking.starts_at, now, self.settings.timezone)
        key = "reminder_last_call" if last_call else "reminder"
        text = t(lang, key, service=service_label(booking, with_specialist), when=when)
        return Outgoing(text, keyboards.attendance(lang, booking))

    def released(self, booking: Booking, *, with_specialist: bool = False) -> Outgoing:
        lang = self._lang(booking.user)
        tz = self.settings.timezone
        day = local(booking.starts_at, tz).date()
        service = service_label(booking, with_specialist)
        return Outgoing(t(lang, "released", service=service, date=ddmm(day), time=hhmm(booking.starts_at, tz)))

    def waitlist_offer(self, entry: WaitlistEntry, starts: Sequence[datetime]) -> Outgoing:
        lang = self._lang(entry.user)
        service = service_with(entry.service, entry.specialist)
        text = t(lang, "waitlist_offer", date=ddmm(entry.day), weekday=weekday(lang, entry.day), service=service)
        markup = keyboards.waitlist_offer(
            lang, entry.id, entry.service_id, entry.specialist_id or 0, starts, self.settings.timezone
        )
        return Outgoing(text, markup)

    def feedback_request(self, booking: Booking) -> Outgoing:
        lang = self._lang(booking.user)
        day = ddmm(local(booking.starts_at, self.settings.timezone).date())
        text = t(lang, "feedback_request", service=escape(booking.service.name), date=day)
        return Outgoing(text, keyboards.rating(booking.id))

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
        lang = self._lang(admin)
        values, day = self._staff_view(booking, with_specialist)
        button = InlineKeyboardBuilder()
        button.button(
            text=admin_text(lang, "btn_open", date=values["date"]),
            callback_data=OwnDay(day=day, fresh=True) if to_specialist else AdminDay(day=day, fresh=True),
        )
        text = admin_text(lang, f"event_{event}", rating=str(rating or "?"), **values)
        return Outgoing(text, button.as_markup())

    def visit_question(
        self, booking: Booking, admin: User | None, *, to_specialist: bool = False, with_specialist: bool = False
    ) -> Outgoing:
        lang = self._lang(admin)
        values, day = self._staff_view(booking, with_specialist)
        button = InlineKeyboardBuilder()
        for came, key in ((True, "btn_visit_came"), (False, "btn_visit_no_show")):
            mark = (
                OwnVisitMark(booking_id=booking.id, came=came, day=day)
                if to_specialist
                else VisitMark(booking_id=booking.id, came=came, day=day)
            )
            button.button(text=admin_text(lang, key), callback_data=mark)
        return Outgoing(admin_text(lang, "visit_question", **values), button.as_markup())

    def broadcast_progress(self, admin: User | None, tally: Tally, *, final: bool) -> str:
        return broadcast_progress(self._lang(admin), tally, final=final)

    def broadcast_done(self, admin: User | None, tally: Tally) -> str:
        return admin_text(self._lang(admin), "broadcast_done", **_numbers(tally))

    def _staff_view(self, booking: Booking, with_specialist: bool) -> tuple[dict[str, str], str]:
        """What a message to the staff says of a booking, and its day as the day views' buttons name it."""
        tz = self.settings.timezone
        return booking_values(booking, tz, with_specialist=with_specialist), f"{local(booking.starts_at, tz):%Y%m%d}"

    def _lang(self, user: User | None) -> Lang:
        return pick_language(user.language if user else None, self.settings.default_language)


def broadcast_progress(lang: Lang, tally: Tally, *, final: bool = False) -> str:
    return admin_text(lang, "broadcast_final" if final else "broadcast_progress", **_numbers(tally))


def _numbers(tally: Tally) -> dict[str, int]:
    return {**asdict(tally), "left": tally.pending}
