from html import escape

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot import keyboards
from bot.callbacks import CancelAsk, CancelConfirm, CancelKeep, RescheduleStart
from bot.formatting import booking_text, ddmm, hhmm, local, weekday
from bot.handlers.booking import Acting, dates_view_for_reschedule
from bot.handlers.refusals import refuse
from bot.middlewares import READ_ONLY
from bot.replies import show
from bot.texts import Lang, menu_texts, t
from database.models import User, utcnow
from services.booking import BookingService
from services.errors import BookingError

router = Router(name=__name__)


@router.message(Command("my"), flags=READ_ONLY)
@router.message(F.text.in_(menu_texts("menu_my")), flags=READ_ONLY)
async def my_bookings(
    message: Message, lang: Lang, user: User, booking_service: BookingService, state: FSMContext
) -> None:
    await state.clear()
    bookings = await booking_service.upcoming(user.id)
    if not bookings:
        await message.answer(t(lang, "my_none"), reply_markup=keyboards.main_menu(lang))
        return
    tz = booking_service.settings.timezone
    lines = [t(lang, "my_header")]
    for booking in bookings:
        day = local(booking.starts_at, tz).date()
        lines.append(
            t(
                lang,
                "my_item",
                date=ddmm(day),
                weekday=weekday(lang, day),
                time=hhmm(booking.starts_at, tz),
                service=escape(booking.service.name),
            )
        )
    await message.answer("\n".join(lines), reply_markup=keyboards.my_bookings(lang, bookings, tz))


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
    await booking_service.commit()
    await show(callback, booking_text(lang, "cancelled", booking, booking_service.settings.timezone))
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
