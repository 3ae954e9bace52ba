"""Cancelling a booking from the day view: with a reason (a question), without one, or keeping it."""

from html import escape

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    Message,
)

from bot import admin_views
from bot.admin_texts import admin_text, too_long
from bot.callbacks import (
    AdminCancelAsk,
    AdminCancelDo,
    AdminKeep,
)
from bot.conversation import ask
from bot.handlers.admin.states import AdminStates
from bot.handlers.refusals import refusal_text, refuse
from bot.texts import Lang, pick_language
from core.errors import BookingError, InputTooLong
from database.models import BlockedPeriod, Booking
from services.admin import AdminService
from services.delivery import deliver

router = Router(name=__name__)


@router.callback_query(AdminCancelAsk.filter())
async def cancel_asked(
    callback: CallbackQuery,
    callback_data: AdminCancelAsk,
    lang: Lang,
    admin_service: AdminService,
    state: FSMContext,
    bot: Bot,
) -> None:
    try:
        booking = await admin_service.booking(callback_data.booking_id)
    except BookingError as error:
        await refuse(callback, lang, error)
        return
    await callback.answer()
    await ask(state, AdminStates.cancel_reason, booking_id=booking.id)
    text, markup = admin_views.cancel_question(lang, booking, admin_service.settings.timezone)
    await bot.send_message(callback.from_user.id, text, reply_markup=markup)


@router.message(StateFilter(AdminStates.cancel_reason), F.text, ~F.text.startswith("/"))
async def cancel_with_reason(
    message: Message, lang: Lang, admin_service: AdminService, state: FSMContext, bot: Bot
) -> None:
    data = await state.get_data()
    await state.clear()
    reason = (message.text or "").strip()
    try:
        booking = await admin_service.cancel_booking(int(data["booking_id"]), message.chat.id, reason)
    except InputTooLong as error:
        await ask(state, AdminStates.cancel_reason, booking_id=data["booking_id"])
        await message.answer(too_long(lang, error))
        return
    except (BookingError, KeyError, ValueError) as error:
        await message.answer(refusal_text(lang, error))
        return
    await _after_admin_cancel(lang, booking, reason, admin_service, bot, message.chat.id)


@router.callback_query(AdminCancelDo.filter())
async def cancel_now(
    callback: CallbackQuery,
    callback_data: AdminCancelDo,
    lang: Lang,
    admin_service: AdminService,
    bot: Bot,
) -> None:
    reason = None
    if callback_data.block_id:
        block = await admin_service.session.get(BlockedPeriod, callback_data.block_id)
        reason = block.reason if block else None
    try:
        booking = await admin_service.cancel_booking(callback_data.booking_id, callback.from_user.id, reason)
    except BookingError as error:
        await refuse(callback, lang, error)
        return
    await callback.answer("❌")
    await _after_admin_cancel(lang, booking, reason, admin_service, bot, callback.from_user.id)


@router.callback_query(AdminKeep.filter())
async def keep(
    callback: CallbackQuery,
    callback_data: AdminKeep,
    lang: Lang,
    admin_service: AdminService,
    bot: Bot,
) -> None:
    try:
        booking = await admin_service.booking(callback_data.booking_id)
    except BookingError as error:
        await refuse(callback, lang, error)
        return
    await callback.answer("↩️")
    values = admin_views.booking_values(booking, admin_service.settings.timezone)
    await bot.send_message(callback.from_user.id, admin_text(lang, "kept", **values))


async def _after_admin_cancel(
    lang: Lang, booking: Booking, reason: str | None, admin_service: AdminService, bot: Bot, admin_chat: int
) -> None:
    tz = admin_service.settings.timezone
    values = admin_views.booking_values(booking, tz)
    await bot.send_message(admin_chat, admin_text(lang, "cancelled_by_admin", **values))
    client_lang = pick_language(booking.user.language, admin_service.settings.default_language)
    suffix = admin_text(client_lang, "reason_suffix", reason=escape(reason)) if reason else ""
    notice = admin_text(client_lang, "client_cancelled_by_business", reason=suffix, **values)
    await deliver(bot, booking.user_id, notice)
