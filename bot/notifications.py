"""Messages the bot sends on its own initiative (from scheduler jobs)."""

from datetime import datetime
from html import escape

from aiogram.types import InlineKeyboardMarkup

from bot import keyboards
from bot.formatting import ddmm, local, when_phrase
from bot.texts import Lang, t
from database.models import Booking
from services.config import Settings


def reminder(booking: Booking, lang: Lang, now: datetime, settings: Settings) -> tuple[str, None]:
    when = when_phrase(lang, booking.starts_at, now, settings.timezone)
    return t(lang, "reminder", service=escape(booking.service.name), when=when), None


def feedback_request(
    booking: Booking, lang: Lang, now: datetime, settings: Settings
) -> tuple[str, InlineKeyboardMarkup]:
    day = ddmm(local(booking.starts_at, settings.timezone).date())
    text = t(lang, "feedback_request", service=escape(booking.service.name), date=day)
    return text, keyboards.rating(booking.id)
