"""/calendars and /calendar_add: the subscription feeds of the business and of each specialist."""

from collections.abc import Sequence
from html import escape

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot import ics
from bot.admin_texts import admin_text
from bot.callbacks import CalendarRevoke, CalendarsPage
from bot.handlers.refusals import refuse
from bot.keyboards import callback_button
from bot.pages import Entry, clamp, navigation_rows, paginate
from bot.replies import show
from bot.texts import Lang
from config import Settings
from core.errors import BookingError
from database.models import CalendarFeed
from services.calendars import CalendarService
from services.staff import StaffService

router = Router(name=__name__)


def feed_url(settings: Settings, feed: CalendarFeed) -> str:
    return f"{settings.public_origin or ''}{ics.feed_path(feed.secret)}"


def whose(lang: Lang, feed: CalendarFeed) -> str:
    return escape(feed.specialist.name) if feed.specialist else admin_text(lang, "feed_everyone")


@router.message(Command("calendars"))
async def calendars(message: Message, lang: Lang, calendar_service: CalendarService) -> None:
    text, markup = _list_view(lang, calendar_service.settings, await calendar_service.listed(), 0)
    await message.answer(text, reply_markup=markup)


@router.callback_query(CalendarsPage.filter())
async def calendars_page(
    callback: CallbackQuery, callback_data: CalendarsPage, lang: Lang, calendar_service: CalendarService
) -> None:
    await show(
        callback, *_list_view(lang, calendar_service.settings, await calendar_service.listed(), callback_data.page)
    )
    await callback.answer()


@router.message(Command("calendar_add"))
async def calendar_add(
    message: Message,
    command: CommandObject,
    lang: Lang,
    calendar_service: CalendarService,
    staff_service: StaffService,
) -> None:
    """`/calendar_add` for the whole business, `/calendar_add NAME` for one specialist."""
    name = (command.args or "").strip()
    specialist = None
    if name:
        found = await staff_service.find(name)
        if len(found) != 1:
            await message.answer(admin_text(lang, "staff_ambiguous" if found else "staff_unknown", name=escape(name)))
            return
        specialist = found[0]
    feed = await calendar_service.create(message.chat.id, specialist)
    settings = calendar_service.settings
    text = admin_text(lang, "calendar_added", whose=whose(lang, feed), url=escape(feed_url(settings, feed)))
    if settings.public_origin is None:
        text += admin_text(lang, "calendar_no_public_url")
    await message.answer(text)


@router.callback_query(CalendarRevoke.filter())
async def calendar_revoke(
    callback: CallbackQuery, callback_data: CalendarRevoke, lang: Lang, calendar_service: CalendarService
) -> None:
    try:
        feed = await calendar_service.revoke(callback.from_user.id, callback_data.feed_id)
    except BookingError as error:
        await refuse(callback, lang, error)
        return
    feeds = await calendar_service.listed()
    await show(callback, *_list_view(lang, calendar_service.settings, feeds, callback_data.page))
    await callback.answer(admin_text(lang, "calendar_revoked", id=feed.id, whose=whose(lang, feed)), show_alert=True)


def _list_view(
    lang: Lang, settings: Settings, feeds: Sequence[CalendarFeed], page: int
) -> tuple[str, InlineKeyboardMarkup]:
    if not feeds:
        return admin_text(lang, "calendars_none"), InlineKeyboardMarkup(inline_keyboard=[])
    pages = paginate([_entry(lang, settings, feed, page) for feed in feeds])
    page = clamp(page, pages)
    lines = [admin_text(lang, "calendars_header"), "", *(entry.text for entry in pages[page])]
    if settings.public_origin is None:
        lines.append(admin_text(lang, "calendar_no_public_url"))
    keyboard = [list(entry.buttons) for entry in pages[page]]
    keyboard += navigation_rows(page, len(pages), lambda target: CalendarsPage(page=target))
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=keyboard)


def _entry(lang: Lang, settings: Settings, feed: CalendarFeed, page: int) -> Entry:
    line = admin_text(lang, "calendar_line", id=feed.id, whose=whose(lang, feed), url=escape(feed_url(settings, feed)))
    revoke = CalendarRevoke(feed_id=feed.id, page=page)
    return Entry(line, (callback_button(admin_text(lang, "btn_calendar_revoke", id=feed.id), revoke),))
