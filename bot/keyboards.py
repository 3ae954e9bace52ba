import calendar
from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import (
    OWN_NEW_BOOKING,
    AttendConfirm,
    CalendarFile,
    CancelAsk,
    CancelConfirm,
    CancelKeep,
    ConfirmBooking,
    DatePick,
    DatesPage,
    FlowAbort,
    FlowBack,
    FlowScope,
    MonthPage,
    Noop,
    Rate,
    RescheduleStart,
    ServicePick,
    SpecialistPick,
    TimePick,
    WaitlistDays,
    WaitlistJoin,
    WaitlistLeave,
    packed,
)
from bot.formatting import day_label, ddmm, hhmm, local
from bot.pages import navigation
from bot.texts import Lang, t
from database.models import Booking, BookingStatus, Service, Specialist


def callback_button(text: str, data: CallbackData | str) -> InlineKeyboardButton:
    """For building many buttons at once: one `builder.add(*buttons)` copies the keyboard once, whereas each
    `builder.button(...)` copies everything added so far (quadratic in the buttons)."""
    return _button(text, data if isinstance(data, str) else data.pack())


@lru_cache(maxsize=4096)
def _button(text: str, data: str) -> InlineKeyboardButton:
    """Buttons are immutable, and clients booking the same service see the same day's times and days: building
    (validating) a button cost more than the rest of a keyboard (`packed` builds the data of those)."""
    return InlineKeyboardButton(text=text, callback_data=data)


def rows_of(buttons: Sequence[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    """The day and time pickers, shown on every booking, build their rows directly: a builder deep-copies
    every button twice on export."""
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


def main_menu(lang: Lang) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=t(lang, "menu_book")), KeyboardButton(text=t(lang, "menu_my"))],
            [KeyboardButton(text=t(lang, "menu_help"))],
        ],
        resize_keyboard=True,
        is_persistent=True,
    )


def services(lang: Lang, items: Sequence[Service], scope: FlowScope = OWN_NEW_BOOKING) -> InlineKeyboardMarkup:
    buttons = [
        callback_button(
            f"{service.name} · {service.duration_minutes}′", ServicePick(service_id=service.id, **scope.fields())
        )
        for service in items
    ]
    abort = callback_button(t(lang, "btn_abort"), FlowAbort())
    return InlineKeyboardMarkup(inline_keyboard=[*rows_of(buttons, 1), [abort]])


def specialists(
    lang: Lang, service_id: int, people: Sequence[Specialist], scope: FlowScope, *, with_back: bool
) -> InlineKeyboardMarkup:
    """Anyone first, then each specialist who performs the service."""
    buttons = [callback_button(t(lang, "btn_any_specialist"), SpecialistPick(service_id=service_id, **_any(scope)))]
    buttons.extend(
        callback_button(
            f"👤 {person.name}", SpecialistPick(service_id=service_id, **scope.with_specialist(person.id).fields())
        )
        for person in people
    )
    footer = [callback_button(t(lang, "btn_abort"), FlowAbort())]
    if with_back:
        footer.insert(0, callback_button(t(lang, "btn_back"), FlowBack(to="services", **_any(scope))))
    return InlineKeyboardMarkup(inline_keyboard=[*rows_of(buttons, 1), footer])


def _any(scope: FlowScope) -> dict[str, int]:
    return scope.with_specialist(0).fields()


BackTo = Literal["services", "specialists"] | None
DAYS_PER_PAGE = 36  # 12 rows of 3; BOOKING_DAYS_AHEAD may be up to a year
LIST_DAYS_UP_TO = 14  # beyond two weeks bookable, days come as a month grid


def dates(
    lang: Lang,
    service_id: int,
    days: Sequence[date],
    *,
    scope: FlowScope = OWN_NEW_BOOKING,
    back_to: BackTo,
    page: int = 0,
) -> InlineKeyboardMarkup:
    pages = max(1, -(-len(days) // DAYS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    buttons = [
        callback_button(
            day_label(lang, day), packed(DatePick, service_id=service_id, day=day.strftime("%Y%m%d"), **scope.fields())
        )
        for day in days[page * DAYS_PER_PAGE : (page + 1) * DAYS_PER_PAGE]
    ]
    keyboard = rows_of(buttons, 3)
    if pages > 1:
        keyboard.append(
            navigation(page, pages, lambda target: DatesPage(service_id=service_id, page=target, **scope.fields()))
        )
    return InlineKeyboardMarkup(inline_keyboard=[*keyboard, dates_footer(lang, service_id, scope, back_to)])


def month_grid(
    lang: Lang,
    service_id: int,
    days: Sequence[date],
    month: date,
    *,
    scope: FlowScope = OWN_NEW_BOOKING,
    back_to: BackTo,
) -> InlineKeyboardMarkup:
    """A month as a calendar: a row per week from Monday, only the days with a free time clickable (their day
    number); ⏪ ⏩ to the months before and after that have such days."""
    bookable = set(days)
    months = sorted({day.replace(day=1) for day in days})
    month = month.replace(day=1)
    if month not in months and months:
        month = months[0]
    blank = Noop().pack()
    rows: list[list[InlineKeyboardButton]] = []
    for week in calendar.Calendar().monthdatescalendar(month.year, month.month):
        row = []
        for day in week:
            if day in bookable and day.month == month.month:
                pick = packed(DatePick, service_id=service_id, day=day.strftime("%Y%m%d"), **scope.fields())
                row.append(callback_button(str(day.day), pick))
            else:
                row.append(callback_button("·" if day.month == month.month else " ", blank))
        if any(button.callback_data != blank for button in row):
            rows.append(row)
    index = months.index(month) if month in months else 0
    heading = [callback_button(t(lang, "month_title", month=f"{month:%m.%Y}"), blank)]
    for target, label, at in ((index - 1, "⏪", 0), (index + 1, "⏩", 1)):
        if 0 <= target < len(months):
            turn = MonthPage(service_id=service_id, month=f"{months[target]:%Y%m}", **scope.fields())
            heading.insert(at if at == 0 else len(heading), callback_button(label, turn))
    names = [callback_button(name, blank) for name in t(lang, "weekdays_short").split()]
    return InlineKeyboardMarkup(inline_keyboard=[heading, names, *rows, dates_footer(lang, service_id, scope, back_to)])


def dates_footer(lang: Lang, service_id: int, scope: FlowScope, back_to: BackTo) -> list[InlineKeyboardButton]:
    footer = [callback_button(t(lang, "btn_abort"), FlowAbort())]
    if back_to is not None:
        target = _any(scope) if back_to == "services" else scope.fields()
        # While moving a booking the days shown are its specialist's: the way to others is named as such.
        label = t(lang, "btn_other_specialist" if scope.booking_id and back_to == "specialists" else "btn_back")
        footer.insert(0, callback_button(label, FlowBack(to=back_to, service_id=service_id, **target)))
    return footer


WAITLIST_DAYS_SHOWN = 30
OFFERED_TIMES_SHOWN = 12


def waitlist_entry(lang: Lang, service_id: int, specialist_id: int) -> list[InlineKeyboardButton]:
    """🔔 under a client's own day list: the full days they may wait for."""
    return [
        callback_button(
            t(lang, "btn_waitlist_full_days"), WaitlistDays(service_id=service_id, specialist_id=specialist_id)
        )
    ]


def waitlist_day(lang: Lang, service_id: int, specialist_id: int, day: date) -> list[InlineKeyboardButton]:
    """🔔 for one day that has just filled up."""
    join = WaitlistJoin(service_id=service_id, day=f"{day:%Y%m%d}", specialist_id=specialist_id)
    return [callback_button(t(lang, "btn_waitlist_day", date=ddmm(day)), join)]


def waitlist_days(lang: Lang, service_id: int, specialist_id: int, days: Sequence[date]) -> InlineKeyboardMarkup:
    buttons = [
        callback_button(
            f"🔔 {day_label(lang, day)}",
            packed(WaitlistJoin, service_id=service_id, day=f"{day:%Y%m%d}", specialist_id=specialist_id),
        )
        for day in days[:WAITLIST_DAYS_SHOWN]
    ]
    back = FlowBack(to="dates", service_id=service_id, specialist_id=specialist_id)
    return InlineKeyboardMarkup(inline_keyboard=[*rows_of(buttons, 3), [callback_button(t(lang, "btn_back"), back)]])


def waitlist_offer(
    lang: Lang, entry_id: int, service_id: int, specialist_id: int, starts: Sequence[datetime], tz: ZoneInfo
) -> InlineKeyboardMarkup:
    """The freed starts as the booking flow's own time buttons: taking one is an ordinary booking."""
    buttons = [
        callback_button(
            hhmm(start, tz),
            packed(TimePick, service_id=service_id, start=int(start.timestamp()), specialist_id=specialist_id),
        )
        for start in starts[:OFFERED_TIMES_SHOWN]
    ]
    day = local(starts[0], tz).date()
    rows = rows_of(buttons, 4)
    if len(starts) > OFFERED_TIMES_SHOWN:
        pick = DatePick(service_id=service_id, day=f"{day:%Y%m%d}", specialist_id=specialist_id)
        rows.append([callback_button(t(lang, "btn_waitlist_more", date=ddmm(day)), pick)])
    rows.append([callback_button(t(lang, "btn_waitlist_leave", date=ddmm(day)), WaitlistLeave(entry_id=entry_id))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def waitlist_leave(lang: Lang, entry_id: int, day: date) -> tuple[InlineKeyboardButton, ...]:
    return (callback_button(t(lang, "btn_waitlist_leave", date=ddmm(day)), WaitlistLeave(entry_id=entry_id)),)


TIMES_PER_PAGE = 48  # Telegram allows 100 buttons per keyboard; 12 rows of 4 still read well


def times(
    lang: Lang,
    service_id: int,
    starts: Sequence[datetime],
    tz: ZoneInfo,
    *,
    scope: FlowScope = OWN_NEW_BOOKING,
    page: int = 0,
) -> InlineKeyboardMarkup:
    """One page of a day's free starts; `starts` is the whole day."""
    pages = max(1, -(-len(starts) // TIMES_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    buttons = [
        callback_button(
            hhmm(start, tz), packed(TimePick, service_id=service_id, start=int(start.timestamp()), **scope.fields())
        )
        for start in starts[page * TIMES_PER_PAGE : (page + 1) * TIMES_PER_PAGE]
    ]
    keyboard = rows_of(buttons, 4)
    if pages > 1:
        day = local(starts[0], tz).strftime("%Y%m%d")
        keyboard.append(
            [
                callback_button(label, DatePick(service_id=service_id, day=day, page=target, **scope.fields()))
                for target, label in ((page - 1, "⏪"), (page + 1, "⏩"))
                if 0 <= target < pages
            ]
        )
    footer = [
        callback_button(t(lang, "btn_back"), FlowBack(to="dates", service_id=service_id, **scope.fields())),
        callback_button(t(lang, "btn_abort"), FlowAbort()),
    ]
    return InlineKeyboardMarkup(inline_keyboard=[*keyboard, footer])


def summary(
    lang: Lang, service_id: int, start: datetime, tz: ZoneInfo, scope: FlowScope = OWN_NEW_BOOKING
) -> InlineKeyboardMarkup:
    confirm = packed(ConfirmBooking, service_id=service_id, start=int(start.timestamp()), **scope.fields())
    back = packed(DatePick, service_id=service_id, day=local(start, tz).strftime("%Y%m%d"), **scope.fields())
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [callback_button(t(lang, "btn_confirm"), confirm)],
            [callback_button(t(lang, "btn_back"), back), callback_button(t(lang, "btn_abort"), FlowAbort())],
        ]
    )


def my_bookings_buttons(lang: Lang, booking: Booking, tz: ZoneInfo) -> tuple[InlineKeyboardButton, ...]:
    labels = {"date": ddmm(local(booking.starts_at, tz).date()), "time": hhmm(booking.starts_at, tz)}
    return (
        callback_button(t(lang, "btn_cancel_booking", **labels), CancelAsk(booking_id=booking.id)),
        callback_button(t(lang, "btn_reschedule", **labels), RescheduleStart(booking_id=booking.id)),
        callback_button("📅", CalendarFile(booking_id=booking.id)),
    )


def calendar_file(lang: Lang, booking: Booking) -> InlineKeyboardMarkup:
    """📅 under a booking's confirmation (or its cancellation: the file then marks it cancelled)."""
    key = "btn_calendar_cancelled" if booking.status == BookingStatus.CANCELLED else "btn_calendar"
    return InlineKeyboardMarkup(inline_keyboard=[[callback_button(t(lang, key), CalendarFile(booking_id=booking.id))]])


def attendance(lang: Lang, booking: Booking) -> InlineKeyboardMarkup:
    """Under a reminder: ✅ I'll come (until the client has said so), 🔁 move, ❌ cancel."""
    attend = callback_button(t(lang, "btn_attend"), AttendConfirm(booking_id=booking.id))
    rows = [] if booking.confirmed_at else [[attend]]
    rows.append(
        [
            callback_button(t(lang, "btn_move_short"), RescheduleStart(booking_id=booking.id)),
            callback_button(t(lang, "btn_cancel_short"), CancelAsk(booking_id=booking.id)),
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def cancel_confirm(lang: Lang, booking_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=t(lang, "btn_cancel_yes"), callback_data=CancelConfirm(booking_id=booking_id))
    builder.button(text=t(lang, "btn_cancel_no"), callback_data=CancelKeep(booking_id=booking_id))
    builder.adjust(2)
    return builder.as_markup()


def rating(booking_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for value in range(1, 6):
        builder.button(text=f"{value} ⭐", callback_data=Rate(booking_id=booking_id, rating=value))
    builder.adjust(5)
    return builder.as_markup()
