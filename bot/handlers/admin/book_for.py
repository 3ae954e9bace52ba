"""Booking and moving bookings on a client's behalf; the flow itself is the clients' (bot.handlers.booking)."""

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    CallbackQuery,
    Message,
)

from bot import admin_views
from bot.admin_texts import admin_text
from bot.callbacks import (
    AdminBookFor,
    AdminMenu,
    AdminReschedule,
)
from bot.handlers.booking import Acting, dates_view_for_reschedule, first_step
from bot.handlers.refusals import refuse
from bot.replies import answer, show
from bot.texts import Lang
from core.errors import BookingError
from database.models import utcnow
from services.admin import AdminService
from services.booking import BookingService

router = Router(name=__name__)


@router.message(Command("book_for"))
@router.callback_query(AdminMenu.filter(F.item == "book_for"))
async def book_for(
    event: Message | CallbackQuery, lang: Lang, admin_service: AdminService, command: CommandObject | None = None
) -> None:
    found = await admin_service.find_clients(command.args or "" if command else "")
    if not found:
        await answer(event, admin_text(lang, "book_for_none"))
        return
    await answer(event, admin_text(lang, "book_for_pick"), admin_views.clients(found))


@router.callback_query(AdminBookFor.filter())
async def book_for_client(
    callback: CallbackQuery,
    callback_data: AdminBookFor,
    lang: Lang,
    admin_service: AdminService,
    booking_service: BookingService,
) -> None:
    try:
        client = await admin_service.client(callback_data.client_id)
    except BookingError as error:
        await refuse(callback, lang, error)
        return
    await callback.answer()
    await show(callback, *await first_step(booking_service, lang, Acting(client, by_admin=True)))


@router.callback_query(AdminReschedule.filter())
async def reschedule_for_client(
    callback: CallbackQuery,
    callback_data: AdminReschedule,
    lang: Lang,
    admin_service: AdminService,
    booking_service: BookingService,
) -> None:
    try:
        booking = await admin_service.booking(callback_data.booking_id)
        acting = Acting(booking.user, by_admin=True)
        booking = await booking_service.changeable_booking(booking.id, booking.user_id, utcnow(), enforce_cutoff=False)
        view = await dates_view_for_reschedule(booking_service, lang, booking, acting)
    except BookingError as error:
        await refuse(callback, lang, error)
        return
    await callback.answer()
    await show(callback, *view)
