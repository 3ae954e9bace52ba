"""Booking and rescheduling: service → day → time → confirm. Every step re-validates its callback."""

from datetime import UTC, date, datetime
from html import escape

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot import keyboards
from bot.callbacks import ConfirmBooking, DatePick, FlowAbort, FlowBack, ServicePick, TimePick
from bot.formatting import booking_text, day_label, ddmm, hhmm, local, weekday
from bot.handlers.refusals import refuse
from bot.replies import show
from bot.texts import Lang, menu_texts, t
from database.models import Booking, Service, User, utcnow
from services.booking import BookingService
from services.errors import AlreadyBooked, BookingError, SlotNotOffered, SlotTaken

router = Router(name=__name__)


@router.message(Command("book"))
@router.message(F.text.in_(menu_texts("menu_book")))
async def begin(message: Message, lang: Lang, booking_service: BookingService, state: FSMContext) -> None:
    await state.clear()
    text, markup = await _first_step(booking_service, lang)
    await message.answer(text, reply_markup=markup)


@router.callback_query(ServicePick.filter())
async def service_picked(
    callback: CallbackQuery,
    callback_data: ServicePick,
    lang: Lang,
    user: User,
    booking_service: BookingService,
) -> None:
    try:
        booking = await _booking_to_move(booking_service, callback_data.booking_id, user)
        service = await booking_service.active_service(callback_data.service_id)
    except BookingError as error:
        await refuse(callback, lang, error)
        return
    await callback.answer()
    await show(callback, *await _dates_view(booking_service, lang, service, booking))


@router.callback_query(DatePick.filter())
async def date_picked(
    callback: CallbackQuery, callback_data: DatePick, lang: Lang, user: User, booking_service: BookingService
) -> None:
    try:
        day = datetime.strptime(callback_data.day, "%Y%m%d").date()  # noqa: DTZ007 - a calendar date, no time
    except ValueError:
        await callback.answer(t(lang, "stale_button"))
        return
    try:
        booking = await _booking_to_move(booking_service, callback_data.booking_id, user)
        service = await _service_for(booking_service, callback_data.service_id, booking)
    except BookingError as error:
        await refuse(callback, lang, error)
        return
    await callback.answer()
    await show(callback, *await _times_view(booking_service, lang, service, day, booking, page=callback_data.page))


@router.callback_query(TimePick.filter())
async def time_picked(
    callback: CallbackQuery, callback_data: TimePick, lang: Lang, user: User, booking_service: BookingService
) -> None:
    try:
        booking = await _booking_to_move(booking_service, callback_data.booking_id, user)
        service = await _service_for(booking_service, callback_data.service_id, booking)
        start = _from_timestamp(callback_data.start)
    except (BookingError, ValueError, OverflowError) as error:
        await refuse(callback, lang, error)
        return
    tz = booking_service.settings.timezone
    day = local(start, tz).date()
    free = await booking_service.available_starts(
        service, day, utcnow(), exclude_booking_id=booking.id if booking else None
    )
    if start not in free:
        await callback.answer(t(lang, "slot_taken"))
        await show(callback, *await _times_view(booking_service, lang, service, day, booking, t(lang, "slot_taken")))
        return
    await callback.answer()
    values = {
        "service": escape(service.name),
        "date": ddmm(day),
        "weekday": weekday(lang, day),
        "time": hhmm(start, tz),
    }
    if booking is None:
        text = t(lang, "summary", **values)
    else:
        old_day = local(booking.starts_at, tz).date()
        text = t(lang, "summary_reschedule", old_date=ddmm(old_day), old_time=hhmm(booking.starts_at, tz), **values)
    await show(callback, text, keyboards.summary(lang, service.id, start, tz, booking.id if booking else 0))


@router.callback_query(ConfirmBooking.filter())
async def confirmed(
    callback: CallbackQuery,
    callback_data: ConfirmBooking,
    lang: Lang,
    user: User,
    booking_service: BookingService,
) -> None:
    try:
        start = _from_timestamp(callback_data.start)
        if callback_data.booking_id:
            booking = await booking_service.reschedule(callback_data.booking_id, user.id, start)
            key = "rescheduled"
        else:
            booking = await booking_service.book(user.id, callback_data.service_id, start)
            key = "booked"
    except AlreadyBooked as already:
        booking, key = already.booking, "booked"
    except (SlotTaken, SlotNotOffered) as error:
        await _offer_other_times(callback, callback_data, lang, user, booking_service, error)
        return
    except (BookingError, ValueError, OverflowError) as error:
        await refuse(callback, lang, error)
        return
    await booking_service.commit()
    await callback.answer("✅")
    await show(callback, booking_text(lang, key, booking, booking_service.settings.timezone))


@router.callback_query(FlowBack.filter())
async def went_back(
    callback: CallbackQuery, callback_data: FlowBack, lang: Lang, user: User, booking_service: BookingService
) -> None:
    await callback.answer()
    if callback_data.to == "dates":
        try:
            booking = await _booking_to_move(booking_service, callback_data.booking_id, user)
            service = await _service_for(booking_service, callback_data.service_id, booking)
        except BookingError as error:
            await refuse(callback, lang, error)
            return
        await show(callback, *await _dates_view(booking_service, lang, service, booking))
    else:
        await show(callback, *await _first_step(booking_service, lang))


@router.callback_query(FlowAbort.filter())
async def aborted(callback: CallbackQuery, lang: Lang) -> None:
    await callback.answer()
    await show(callback, t(lang, "flow_left"))


async def _first_step(service: BookingService, lang: Lang) -> tuple[str, InlineKeyboardMarkup | None]:
    offered = await service.active_services()
    if len(offered) == 1:
        return await _dates_view(service, lang, offered[0], None, with_back=False)
    return t(lang, "choose_service"), keyboards.services(lang, offered)


async def dates_view_for_reschedule(
    service: BookingService, lang: Lang, booking: Booking
) -> tuple[str, InlineKeyboardMarkup | None]:
    offered = await service.active_service(booking.service_id)
    return await _dates_view(service, lang, offered, booking)


async def _dates_view(
    booking_service: BookingService,
    lang: Lang,
    service: Service,
    booking: Booking | None,
    *,
    with_back: bool = True,
) -> tuple[str, InlineKeyboardMarkup | None]:
    settings = booking_service.settings
    days = await booking_service.available_days(service, utcnow(), exclude_booking_id=booking.id if booking else None)
    if not days:
        return t(lang, "no_days", days=settings.booking_days_ahead), None
    if booking is None:
        text = t(lang, "choose_date", service=escape(service.name))
    else:
        text = t(
            lang,
            "choose_date_reschedule",
            service=escape(service.name),
            date=ddmm(local(booking.starts_at, settings.timezone).date()),
            time=hhmm(booking.starts_at, settings.timezone),
        )
    markup = keyboards.dates(
        lang,
        service.id,
        days,
        booking_id=booking.id if booking else 0,
        with_back=with_back and booking is None,
    )
    return text, markup


async def _times_view(
    booking_service: BookingService,
    lang: Lang,
    service: Service,
    day: date,
    booking: Booking | None,
    notice: str | None = None,
    *,
    page: int = 0,
) -> tuple[str, InlineKeyboardMarkup | None]:
    starts = await booking_service.available_starts(
        service, day, utcnow(), exclude_booking_id=booking.id if booking else None
    )
    if not starts:
        text, markup = await _dates_view(booking_service, lang, service, booking)
        return f"{t(lang, 'no_times', day=day_label(lang, day))}\n\n{text}", markup
    text = t(lang, "choose_time", service=escape(service.name), day=day_label(lang, day))
    if notice:
        text = f"{notice}\n\n{text}"
    tz = booking_service.settings.timezone
    return text, keyboards.times(lang, service.id, starts, tz, booking_id=booking.id if booking else 0, page=page)


async def _offer_other_times(
    callback: CallbackQuery,
    callback_data: ConfirmBooking,
    lang: Lang,
    user: User,
    booking_service: BookingService,
    error: BookingError,
) -> None:
    notice = t(lang, "slot_taken" if isinstance(error, SlotTaken) else "slot_not_offered")
    await callback.answer(notice)
    try:
        booking = await _booking_to_move(booking_service, callback_data.booking_id, user)
        service = await _service_for(booking_service, callback_data.service_id, booking)
        day = local(_from_timestamp(callback_data.start), booking_service.settings.timezone).date()
    except (BookingError, ValueError, OverflowError):
        await show(callback, notice)
        return
    await show(callback, *await _times_view(booking_service, lang, service, day, booking, notice))


async def _booking_to_move(service: BookingService, booking_id: int, user: User) -> Booking | None:
    if not booking_id:
        return None
    return await service.changeable_booking(booking_id, user.id, utcnow())


async def _service_for(booking_service: BookingService, service_id: int, booking: Booking | None) -> Service:
    # While rescheduling, the booking's own service counts, whatever the button claims.
    return await booking_service.active_service(booking.service_id if booking else service_id)


def _from_timestamp(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)
