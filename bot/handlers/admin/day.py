"""The day view: /today, /tomorrow, /day, its pages and neighbouring days."""

from datetime import date, datetime, timedelta

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
)

from bot import admin_views
from bot.admin_texts import admin_text
from bot.callbacks import (
    AdminDay,
    AdminMenu,
)
from bot.replies import answer, show
from bot.texts import Lang
from database.models import utcnow
from services.admin import AdminService
from services.admin_input import parse_day
from services.booking import BookingService

router = Router(name=__name__)


@router.message(Command("today", "tomorrow", "day"))
async def day_command(
    message: Message,
    command: CommandObject,
    lang: Lang,
    admin_service: AdminService,
    booking_service: BookingService,
) -> None:
    tz = admin_service.settings.timezone
    today = utcnow().astimezone(tz).date()
    if command.command == "today":
        day = today
    elif command.command == "tomorrow":
        day = today + timedelta(days=1)
    else:
        try:
            day = parse_day(command.args or "", today)
        except ValueError:
            await message.answer(admin_text(lang, "bad_day"))
            return
    text, markup = await _day_view(lang, day, 0, admin_service, booking_service)
    await message.answer(text, reply_markup=markup)


@router.callback_query(AdminMenu.filter(F.item.in_({"today", "tomorrow"})))
async def day_from_menu(
    callback: CallbackQuery,
    callback_data: AdminMenu,
    lang: Lang,
    admin_service: AdminService,
    booking_service: BookingService,
) -> None:
    today = utcnow().astimezone(admin_service.settings.timezone).date()
    day = today if callback_data.item == "today" else today + timedelta(days=1)
    await answer(callback, *await _day_view(lang, day, 0, admin_service, booking_service))


@router.callback_query(AdminDay.filter())
async def day_page(
    callback: CallbackQuery,
    callback_data: AdminDay,
    lang: Lang,
    admin_service: AdminService,
    booking_service: BookingService,
    bot: Bot,
) -> None:
    try:
        day = datetime.strptime(callback_data.day, "%Y%m%d").date()  # noqa: DTZ007 - a calendar date
    except ValueError:
        await callback.answer(admin_text(lang, "gone"))
        return
    await callback.answer()
    text, markup = await _day_view(lang, day, callback_data.page, admin_service, booking_service)
    if callback_data.fresh:
        await bot.send_message(callback.from_user.id, text, reply_markup=markup)
    else:
        await show(callback, text, markup)


async def _day_view(
    lang: Lang, day: date, page: int, admin_service: AdminService, booking_service: BookingService
) -> tuple[str, InlineKeyboardMarkup]:
    now = utcnow()
    agenda = await admin_service.agenda(day)
    free: list[datetime] = []
    services = await booking_service.active_services()
    if services and agenda.opening is not None:
        # Every start some offered service fits: the shortest one's (a longer one's are among them).
        shortest = min(services, key=lambda service: service.duration_minutes)
        free = await booking_service.available_starts(shortest, day, now)
    return admin_views.day_view(lang, agenda, free, admin_service.settings.timezone, page, now)
