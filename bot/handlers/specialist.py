"""A linked specialist who is not an admin: their own day (/today, /tomorrow, /day) and, if an admin allowed it,
their own dates (/dayoff, /hours DATE HOURS), and their calendar feed (/calendar). Admins reach the admin side's
versions of these first."""

from html import escape

from aiogram import Bot, Router
from aiogram.filters import BaseFilter, Command, CommandObject
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.admin_texts import admin_text
from bot.callbacks import OwnDay, OwnVisitMark, calendar_day
from bot.formatting import ddmm
from bot.handlers.admin.calendars import feed_url
from bot.handlers.admin.day import day_and_name, day_screen
from bot.handlers.refusals import refuse
from bot.middlewares import READ_ONLY
from bot.replies import show
from bot.staff_views import shifts_text
from bot.texts import Lang
from core.errors import BookingError, BookingsInTheWay, NotAllowed
from database.models import Specialist, utcnow
from services.admin import AdminService
from services.admin_input import parse_dates_hours
from services.booking import BookingService
from services.calendars import CalendarService
from services.staff import StaffService

router = Router(name=__name__)


class IsLinkedSpecialist(BaseFilter):
    """Passes the sender's specialist (as `me`) when an admin linked them; evaluated only after a command of
    this router matched, so clients' other updates cost no query."""

    async def __call__(self, event: TelegramObject, staff_service: StaffService) -> bool | dict[str, Specialist]:
        from_user = getattr(event, "from_user", None)
        if from_user is None:
            return False
        me = await staff_service.linked(from_user.id)
        return {"me": me} if me is not None else False


@router.message(Command("today", "tomorrow", "day"), IsLinkedSpecialist(), flags=READ_ONLY)
async def own_day(
    message: Message,
    command: CommandObject,
    lang: Lang,
    me: Specialist,
    admin_service: AdminService,
    booking_service: BookingService,
) -> None:
    try:
        day, _ = day_and_name(command, utcnow().astimezone(admin_service.settings.timezone).date())
    except ValueError:
        await message.answer(admin_text(lang, "bad_day"))
        return
    text, markup = await day_screen(lang, day, 0, admin_service, booking_service, me.id, with_buttons=False)
    await message.answer(text, reply_markup=markup)


@router.callback_query(OwnDay.filter(), IsLinkedSpecialist(), flags=READ_ONLY)
async def own_day_page(
    callback: CallbackQuery,
    callback_data: OwnDay,
    lang: Lang,
    me: Specialist,
    admin_service: AdminService,
    booking_service: BookingService,
    bot: Bot,
) -> None:
    day = calendar_day(callback_data.day)
    await callback.answer()
    text, markup = await day_screen(
        lang, day, callback_data.page, admin_service, booking_service, me.id, with_buttons=False
    )
    if callback_data.fresh:
        await bot.send_message(callback.from_user.id, text, reply_markup=markup)
    else:
        await show(callback, text, markup)


@router.callback_query(OwnVisitMark.filter(), IsLinkedSpecialist())
async def own_visit_marked(
    callback: CallbackQuery,
    callback_data: OwnVisitMark,
    lang: Lang,
    me: Specialist,
    admin_service: AdminService,
    booking_service: BookingService,
) -> None:
    try:
        await admin_service.record_visit(
            callback.from_user.id, callback_data.booking_id, callback_data.came, specialist_id=me.id
        )
    except BookingError as error:
        await refuse(callback, lang, error)
        return
    day = calendar_day(callback_data.day)
    view = await day_screen(lang, day, callback_data.page, admin_service, booking_service, me.id, with_buttons=False)
    await show(callback, *view)
    await callback.answer(admin_text(lang, "visit_came" if callback_data.came else "visit_no_show"))


@router.message(Command("calendar"), IsLinkedSpecialist())
async def own_calendar(message: Message, lang: Lang, me: Specialist, calendar_service: CalendarService) -> None:
    """Their own bookings as a subscription feed: the address they have, or a new one."""
    feed = await calendar_service.own(message.chat.id, me)
    settings = calendar_service.settings
    text = admin_text(lang, "own_calendar", url=escape(feed_url(settings, feed)))
    if settings.public_origin is None:
        text += admin_text(lang, "calendar_no_public_url")
    await message.answer(text)


@router.message(Command("dayoff", "hours"), IsLinkedSpecialist())
async def own_dates(
    message: Message, command: CommandObject, lang: Lang, me: Specialist, staff_service: StaffService
) -> None:
    """`/dayoff 24.12-31.12 [note]` or `/hours 2026-12-31 10:00-14:00`: their own dates only."""
    today = staff_service.availability.schedule.local_date(message.date)
    try:
        dated = parse_dates_hours(command.args or "", today, day_off=command.command == "dayoff")
        await staff_service.set_dates(message.chat.id, me.id, dated, by_specialist=True)
    except ValueError as error:
        await message.answer(admin_text(lang, "hours_bad", error=escape(str(error))))
        return
    except NotAllowed:
        await message.answer(admin_text(lang, "own_only"))
        return
    except BookingsInTheWay as error:
        await message.answer(admin_text(lang, "own_in_the_way", count=error.count))
        return
    await message.answer(
        admin_text(
            lang,
            "dates_saved",
            name=escape(me.name),
            first=ddmm(dated.first),
            last=ddmm(dated.last),
            hours=shifts_text(lang, dated.shifts),
            note=f" ({escape(dated.note)})" if dated.note else "",
        )
    )
