from datetime import date, datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from bot.texts import Lang, t
from database.models import Booking, Service, Specialist


def local(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz)


def ddmm(day: date) -> str:
    return day.strftime("%d.%m")


def hhmm(moment: datetime, tz: ZoneInfo) -> str:
    return local(moment, tz).strftime("%H:%M")


def weekday(lang: Lang, day: date) -> str:
    return t(lang, "weekdays").split(",")[day.weekday()]


def day_label(lang: Lang, day: date) -> str:
    return f"{weekday(lang, day)} {ddmm(day)}"


def when_phrase(lang: Lang, starts_at: datetime, now: datetime, tz: ZoneInfo) -> str:
    """'today at 14:00', 'tomorrow at 14:00' or 'on 26.11 (Wed) at 14:00', by the local calendar."""
    start_day = local(starts_at, tz).date()
    today = local(now, tz).date()
    time_text = hhmm(starts_at, tz)
    if start_day == today:
        return t(lang, "when_today", time=time_text)
    if start_day == today + timedelta(days=1):
        return t(lang, "when_tomorrow", time=time_text)
    return t(lang, "when_other", date=ddmm(start_day), weekday=weekday(lang, start_day), time=time_text)


def service_label(booking: Booking, with_specialist: bool) -> str:
    """The booking's service, and its specialist where clients meet more than one (escaped HTML)."""
    return service_with(booking.service, booking.specialist if with_specialist else None)


def service_with(service: Service, specialist: Specialist | None) -> str:
    """A service, and the specialist if one is named (escaped HTML)."""
    label = escape(service.name)
    return f"{label} · 👤 {escape(specialist.name)}" if specialist is not None else label


def booking_text(lang: Lang, key: str, booking: Booking, tz: ZoneInfo, *, with_specialist: bool = False) -> str:
    """A text about one booking, with its service (and specialist), `date` (DD.MM) and `time` (HH:MM) filled in."""
    return t(
        lang,
        key,
        service=service_label(booking, with_specialist),
        date=ddmm(local(booking.starts_at, tz).date()),
        time=hhmm(booking.starts_at, tz),
    )
