"""The day view: /today, /tomorrow, /day, its pages and neighbouring days."""

from datetime import date, datetime, timedelta
from html import escape

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
)

from bot import admin_views
from bot.admin_texts import admin_text
from bot.callbacks import AdminDay, AdminMenu, OwnDay, OwnVisitMark, VisitMark, calendar_day
from bot.handlers.refusals import refuse
from bot.replies import answer, show
from bot.texts import Lang
from core.errors import BookingError
from database.models import Booking, utcnow
from services.admin import AdminService
from services.admin_input import parse_day
from services.booking import BookingService
from services.staff import StaffService

router = Router(name=__name__)


@router.message(Command("today", "tomorrow", "day"))
async def day_command(
    message: Message,
    command: CommandObject,
    lang: Lang,
    admin_service: AdminService,
    booking_service: BookingService,
    staff_service: StaffService,
) -> None:
    tz = admin_service.settings.timezone
    try:
        day, name = day_and_name(command, utcnow().astimezone(tz).date())
    except ValueError:
        await message.answer(admin_text(lang, "bad_day"))
        return
    scope = 0
    if name:
        found = await staff_service.find(name)
        if len(found) != 1:
            await message.answer(
                admin_text(lang, "staff_unknown" if not found else "staff_ambiguous", name=escape(name))
            )
            return
        scope = found[0].id
    text, markup = await day_screen(lang, day, 0, admin_service, booking_service, scope)
    await message.answer(text, reply_markup=markup)


def day_and_name(command: CommandObject, today: date) -> tuple[date, str]:
    """`/today [NAME]`, `/tomorrow [NAME]`, `/day DAY [NAME]`: the day and the specialist's name (may be empty)."""
    args = (command.args or "").strip()
    if command.command == "today":
        return today, args
    if command.command == "tomorrow":
        return today + timedelta(days=1), args
    day_text, _, name = args.partition(" ")
    return parse_day(day_text, today), name.strip()


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
    await answer(callback, *await day_screen(lang, day, 0, admin_service, booking_service))


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
        day = calendar_day(callback_data.day)
    except ValueError:
        await callback.answer(admin_text(lang, "gone"))
        return
    await callback.answer()
    text, markup = await day_screen(
        lang, day, callback_data.page, admin_service, booking_service, callback_data.specialist_id
    )
    if callback_data.fresh:
        await bot.send_message(callback.from_user.id, text, reply_markup=markup)
    else:
        await show(callback, text, markup)


async def day_screen(
    lang: Lang,
    day: date,
    page: int,
    admin_service: AdminService,
    booking_service: BookingService,
    scope: int = 0,
    *,
    with_buttons: bool = True,
) -> tuple[str, InlineKeyboardMarkup]:
    """A day's agenda, everyone's or one specialist's (`scope`), with each specialist's free starts."""
    now = utcnow()
    agenda = await admin_service.agenda(day, [scope] if scope else None)
    free: dict[int, list[datetime]] = {}
    services = await booking_service.active_services()
    for column in agenda.specialists:
        if not column.opening:
            continue
        theirs = [service for service in services if await booking_service.performs(column.specialist, service)]
        if theirs:
            # Every start some service of theirs fits: the shortest one's (a longer one's are among them).
            shortest = min(theirs, key=lambda service: service.duration_minutes)
            free[column.specialist.id] = await booking_service.available_starts(
                shortest, day, now, specialist_id=column.specialist.id
            )
    tz = admin_service.settings.timezone
    shown = f"{day:%Y%m%d}"
    if with_buttons:

        def link(target: date, target_page: int) -> CallbackData:
            return AdminDay(day=f"{target:%Y%m%d}", page=target_page, specialist_id=scope)

        def visit(booking: Booking, came: bool) -> CallbackData:
            return VisitMark(booking_id=booking.id, came=came, day=shown, page=page, specialist_id=scope)
    else:

        def link(target: date, target_page: int) -> CallbackData:
            return OwnDay(day=f"{target:%Y%m%d}", page=target_page)

        def visit(booking: Booking, came: bool) -> CallbackData:
            return OwnVisitMark(booking_id=booking.id, came=came, day=shown, page=page)

    return admin_views.day_view(lang, agenda, free, tz, page, now, link=link, visit=visit, with_buttons=with_buttons)


@router.callback_query(VisitMark.filter())
async def visit_marked(
    callback: CallbackQuery,
    callback_data: VisitMark,
    lang: Lang,
    admin_service: AdminService,
    booking_service: BookingService,
) -> None:
    try:
        await admin_service.record_visit(callback.from_user.id, callback_data.booking_id, callback_data.came)
    except BookingError as error:
        await refuse(callback, lang, error)
        return
    day = calendar_day(callback_data.day)
    view = await day_screen(lang, day, callback_data.page, admin_service, booking_service, callback_data.specialist_id)
    await show(callback, *view)
    await callback.answer(admin_text(lang, "visit_came" if callback_data.came else "visit_no_show"))
