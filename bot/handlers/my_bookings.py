from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot import keyboards
from bot.callbacks import AttendConfirm, CancelAsk, CancelConfirm, CancelKeep, MyPage, RescheduleStart
from bot.formatting import booking_text, ddmm, hhmm, local, service_label, service_with, weekday
from bot.handlers.booking import Acting, dates_view_for_reschedule
from bot.handlers.refusals import refuse
from bot.middlewares import READ_ONLY
from bot.pages import Entry, clamp, navigation_rows, paginate
from bot.replies import show
from bot.texts import Lang, menu_texts, t
from core.errors import BookingError
from database.models import User, utcnow
from services.booking import BookingService
from services.waitlist import WaitlistService

router = Router(name=__name__)


@router.message(Command("my"), flags=READ_ONLY)
@router.message(F.text.in_(menu_texts("menu_my")), flags=READ_ONLY)
async def my_bookings(
    message: Message, lang: Lang, user: User, booking_service: BookingService, waitlist_service: WaitlistService
) -> None:
    view = await _my_view(lang, user, booking_service, waitlist_service, 0)
    if view is None:
        await message.answer(t(lang, "my_none"), reply_markup=keyboards.main_menu(lang))
        return
    text, markup = view
    await message.answer(text, reply_markup=markup)


@router.callback_query(MyPage.filter(), flags=READ_ONLY)
async def my_page(
    callback: CallbackQuery,
    callback_data: MyPage,
    lang: Lang,
    user: User,
    booking_service: BookingService,
    waitlist_service: WaitlistService,
) -> None:
    view = await _my_view(lang, user, booking_service, waitlist_service, callback_data.page)
    await show(callback, *(view or (t(lang, "my_none"),)))
    await callback.answer()


async def _my_view(
    lang: Lang, user: User, booking_service: BookingService, waitlist_service: WaitlistService, page: int
) -> tuple[str, InlineKeyboardMarkup] | None:
    """The client's upcoming bookings (naming the specialist where clients meet several), then the days they wait
    for, a page at a time; None when there is neither."""
    bookings = await booking_service.upcoming(user.id)
    waiting = await waitlist_service.entries(user.id, utcnow())
    if not bookings and not waiting:
        return None
    several = await booking_service.several_specialists() if bookings else False
    tz = booking_service.settings.timezone
    entries = [] if bookings else [Entry(t(lang, "my_none"), ())]
    for booking in bookings:
        day = local(booking.starts_at, tz).date()
        line = t(
            lang,
            "my_item",
            date=ddmm(day),
            weekday=weekday(lang, day),
            time=hhmm(booking.starts_at, tz),
            service=service_label(booking, several),
        )
        entries.append(Entry(line, keyboards.my_bookings_buttons(lang, booking, tz)))
    for number, entry in enumerate(waiting):
        service = service_with(entry.service, entry.specialist)
        line = t(lang, "waitlist_item", date=ddmm(entry.day), weekday=weekday(lang, entry.day), service=service)
        if number == 0:
            line = f"\n{t(lang, 'waitlist_header')}\n{line}"
        entries.append(Entry(line, keyboards.waitlist_leave(lang, entry.id, entry.day)))
    pages = paginate(entries)
    page = clamp(page, pages)
    header = [t(lang, "my_header")] if bookings else []
    text = "\n".join([*header, *(entry.text for entry in pages[page])])
    keyboard = [list(entry.buttons) for entry in pages[page] if entry.buttons]  # a row per booking or day
    keyboard += navigation_rows(page, len(pages), lambda target: MyPage(page=target))
    return text, InlineKeyboardMarkup(inline_keyboard=keyboard)


@router.callback_query(AttendConfirm.filter())
async def attendance_confirmed(
    callback: CallbackQuery, callback_data: AttendConfirm, lang: Lang, user: User, booking_service: BookingService
) -> None:
    try:
        booking, recorded = await booking_service.confirm_attendance(callback_data.booking_id, user.id)
    except BookingError as error:
        await refuse(callback, lang, error)
        return
    if not recorded:
        await callback.answer(t(lang, "attendance_already"))
        return
    several = await booking_service.several_specialists()
    tz = booking_service.settings.timezone
    text = booking_text(lang, "attendance_confirmed", booking, tz, with_specialist=several)
    await show(callback, text, keyboards.attendance(lang, booking))
    await callback.answer()


@router.callback_query(CancelAsk.filter())
async def cancel_asked(
    callback: CallbackQuery, callback_data: CancelAsk, lang: Lang, user: User, booking_service: BookingService
) -> None:
    try:
        booking = await booking_service.changeable_booking(callback_data.booking_id, user.id, utcnow())
    except BookingError as error:
        await refuse(callback, lang, error)
        return
    await show(
        callback,
        booking_text(lang, "cancel_question", booking, booking_service.settings.timezone),
        keyboards.cancel_confirm(lang, booking.id),
    )
    await callback.answer()


@router.callback_query(CancelConfirm.filter())
async def cancel_confirmed(
    callback: CallbackQuery,
    callback_data: CancelConfirm,
    lang: Lang,
    user: User,
    booking_service: BookingService,
) -> None:
    try:
        booking = await booking_service.cancel(callback_data.booking_id, user.id)
    except BookingError as error:
        await refuse(callback, lang, error)
        return
    text = booking_text(lang, "cancelled", booking, booking_service.settings.timezone)
    await show(callback, text, keyboards.calendar_file(lang, booking))
    await callback.answer("✅")


@router.callback_query(CancelKeep.filter())
async def cancel_declined(
    callback: CallbackQuery,
    callback_data: CancelKeep,
    lang: Lang,
    user: User,
    booking_service: BookingService,
) -> None:
    try:
        await booking_service.own_booking(callback_data.booking_id, user.id)
    except BookingError as error:
        await refuse(callback, lang, error)
        return
    await show(callback, t(lang, "kept"))
    await callback.answer()


@router.callback_query(RescheduleStart.filter(), flags=READ_ONLY)
async def reschedule_started(
    callback: CallbackQuery,
    callback_data: RescheduleStart,
    lang: Lang,
    user: User,
    booking_service: BookingService,
) -> None:
    try:
        booking = await booking_service.changeable_booking(callback_data.booking_id, user.id, utcnow())
        view = await dates_view_for_reschedule(booking_service, lang, booking, Acting(user, by_admin=False))
    except BookingError as error:
        await refuse(callback, lang, error)
        return
    await show(callback, *view)
    await callback.answer()
