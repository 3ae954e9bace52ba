"""/block and /blocks: blocking periods, the bookings inside them, unblocking."""

from html import escape

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    CallbackQuery,
    Message,
)

from bot import admin_views
from bot.admin_texts import admin_text, too_long
from bot.callbacks import (
    AdminBlockPage,
    AdminBlocksPage,
    AdminMenu,
    AdminUnblock,
)
from bot.handlers.refusals import refuse
from bot.replies import answer, show
from bot.texts import Lang
from core.errors import BlockNotFound, BookingError, InputTooLong
from database.models import utcnow
from services.admin import AdminService
from services.admin_input import parse_period
from services.staff import StaffService

router = Router(name=__name__)


@router.message(Command("block"))
async def block(
    message: Message, command: CommandObject, lang: Lang, admin_service: AdminService, staff_service: StaffService
) -> None:
    """`/block DAY … [reason]` for the whole business; ending in `@NAME`, for that specialist only."""
    tz = admin_service.settings.timezone
    args, at, name = (command.args or "").rpartition(" @") if " @" in (command.args or "") else (command.args, "", "")
    specialist_id = None
    if at:
        found = await staff_service.find(name)
        if len(found) != 1:
            await message.answer(admin_text(lang, "staff_ambiguous" if found else "staff_unknown", name=escape(name)))
            return
        specialist_id = found[0].id
    try:
        period = parse_period(args or "", utcnow().astimezone(tz).date(), tz)
    except ValueError:
        await message.answer(admin_text(lang, "block_usage"))
        return
    try:
        created, is_new, inside = await admin_service.block(
            message.chat.id, period.start, period.end, period.reason, specialist_id=specialist_id
        )
    except InputTooLong as error:
        await message.answer(too_long(lang, error))
        return
    text, markup = admin_views.block_view(lang, created, inside, tz, 0, created=is_new)
    await message.answer(text, reply_markup=markup)


@router.callback_query(AdminBlockPage.filter())
async def block_page(
    callback: CallbackQuery, callback_data: AdminBlockPage, lang: Lang, admin_service: AdminService
) -> None:
    try:
        block, inside = await admin_service.block_with_bookings(callback_data.block_id)
    except BookingError as error:
        await refuse(callback, lang, error)
        return
    tz = admin_service.settings.timezone
    await show(callback, *admin_views.block_view(lang, block, inside, tz, callback_data.page, created=True))
    await callback.answer()


@router.message(Command("blocks"))
@router.callback_query(AdminMenu.filter(F.item == "blocks"))
async def blocks(event: Message | CallbackQuery, lang: Lang, admin_service: AdminService) -> None:
    tz = admin_service.settings.timezone
    await answer(event, *admin_views.blocks_view(lang, await admin_service.upcoming_blocks(), tz))


@router.callback_query(AdminBlocksPage.filter())
async def blocks_page(
    callback: CallbackQuery, callback_data: AdminBlocksPage, lang: Lang, admin_service: AdminService
) -> None:
    tz = admin_service.settings.timezone
    await show(callback, *admin_views.blocks_view(lang, await admin_service.upcoming_blocks(), tz, callback_data.page))
    await callback.answer()


@router.callback_query(AdminUnblock.filter())
async def unblock(
    callback: CallbackQuery, callback_data: AdminUnblock, lang: Lang, admin_service: AdminService
) -> None:
    try:
        removed = await admin_service.unblock(callback.from_user.id, callback_data.block_id)
    except BlockNotFound:
        await callback.answer(admin_text(lang, "gone"), show_alert=True)
        return
    await callback.answer("✅")
    start, end = admin_views.period_text(removed.starts_at, removed.ends_at, admin_service.settings.timezone)
    text, markup = admin_views.blocks_view(lang, await admin_service.upcoming_blocks(), admin_service.settings.timezone)
    await show(callback, f"{admin_text(lang, 'unblocked', start=start, end=end)}\n\n{text}", markup)
