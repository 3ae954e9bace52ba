"""The waitlist from the client's side: 🔔 wait for a full day, 🔕 stop waiting. Offers of freed times arrive as
the booking flow's own time buttons (services.waitlist), so taking one is an ordinary booking."""

from html import escape

from aiogram import Router
from aiogram.types import CallbackQuery

from bot import keyboards
from bot.callbacks import WaitlistDays, WaitlistJoin, WaitlistLeave, calendar_day
from bot.formatting import ddmm, weekday
from bot.handlers.booking import own_day_view
from bot.handlers.refusals import refuse
from bot.middlewares import READ_ONLY
from bot.replies import show
from bot.texts import Lang, t
from core.errors import BookingError, SlotNotOffered
from database.models import User, utcnow
from services.booking import BookingService
from services.waitlist import WaitlistService

router = Router(name=__name__)


@router.callback_query(WaitlistDays.filter(), flags=READ_ONLY)
async def full_days_shown(
    callback: CallbackQuery,
    callback_data: WaitlistDays,
    lang: Lang,
    waitlist_service: WaitlistService,
) -> None:
    specialist_id = callback_data.specialist_id
    try:
        service, days = await waitlist_service.full_days(callback_data.service_id, specialist_id, utcnow())
    except BookingError as error:
        await refuse(callback, lang, error)
        return
    if not days:
        await callback.answer(t(lang, "waitlist_no_days"), show_alert=True)
        return
    text = t(lang, "waitlist_days", service=escape(service.name))
    await show(callback, text, keyboards.waitlist_days(lang, service.id, specialist_id, days))
    await callback.answer()


@router.callback_query(WaitlistJoin.filter())
async def joined(
    callback: CallbackQuery,
    callback_data: WaitlistJoin,
    lang: Lang,
    user: User,
    booking_service: BookingService,
    waitlist_service: WaitlistService,
) -> None:
    try:
        day = calendar_day(callback_data.day)
    except ValueError:
        await callback.answer(t(lang, "stale_button"))
        return
    values = {"date": ddmm(day), "weekday": weekday(lang, day)}
    try:
        added = await waitlist_service.join(
            user.id, callback_data.service_id, callback_data.specialist_id, day, utcnow()
        )
    except SlotNotOffered:
        # Time freed up meanwhile (or the day is not offered at all): the day's times say which.
        service = await booking_service.active_service(callback_data.service_id)
        specialist = None
        if callback_data.specialist_id:
            specialist = await booking_service.specialist_for(service, callback_data.specialist_id)
        text, markup = await own_day_view(booking_service, lang, user, service, specialist, day)
        await show(callback, f"{t(lang, 'waitlist_not_full')}\n\n{text}", markup)
        await callback.answer()
        return
    except BookingError as error:
        await refuse(callback, lang, error)
        return
    if not added:
        await callback.answer(t(lang, "waitlist_already", **values), show_alert=True)
        return
    service = await booking_service.active_service(callback_data.service_id)
    await show(callback, t(lang, "waitlist_joined", service=escape(service.name), **values))
    await callback.answer("🔔")


@router.callback_query(WaitlistLeave.filter())
async def left(
    callback: CallbackQuery, callback_data: WaitlistLeave, lang: Lang, user: User, waitlist_service: WaitlistService
) -> None:
    day = await waitlist_service.leave(callback_data.entry_id, user.id)
    if day is None:
        await callback.answer(t(lang, "stale_button"))
        return
    await show(callback, t(lang, "waitlist_left", date=ddmm(day)))
    await callback.answer("🔕")
