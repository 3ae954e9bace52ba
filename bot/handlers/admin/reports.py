"""/feedback, /export and /stats."""

import asyncio
import logging
from datetime import date, datetime, timedelta
from html import escape

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    Message,
)

from bot import admin_views
from bot.admin_texts import admin_text
from bot.callbacks import (
    AdminMenu,
)
from bot.replies import answer
from bot.texts import Lang, t
from core.durations import parse_duration
from database.models import utcnow
from services import runtime, stats
from services.admin import AdminService
from services.admin_input import parse_day
from services.export import bookings_csv
from services.staff import StaffService

log = logging.getLogger(__name__)
router = Router(name=__name__)


@router.message(Command("feedback"))
@router.callback_query(AdminMenu.filter(F.item == "feedback"))
async def feedback(event: Message | CallbackQuery, lang: Lang, admin_service: AdminService) -> None:
    await answer(event, await _feedback_text(lang, admin_service))


async def _feedback_text(lang: Lang, admin_service: AdminService) -> str:
    items = await admin_service.recent_feedback()
    if not items:
        return admin_text(lang, "feedback_none")
    tz = admin_service.settings.timezone
    lines = [admin_text(lang, "feedback_title")]
    for item, booking in items:
        values = admin_views.booking_values(booking, tz)
        comment = f"\n   “{escape(item.comment[:300])}”" if item.comment else ""
        lines.append(
            f"{'⭐' * item.rating} {item.rating}/5 — {values['date']} {values['service']} — {values['client']}{comment}"
        )
    text = ""
    for line in lines:  # whole entries only, under Telegram's limit
        if len(text) + len(line) + 1 > 4000:
            break
        text += line + "\n"
    return text.rstrip()


@router.message(Command("export"))
@router.callback_query(AdminMenu.filter(F.item == "export"))
async def export(
    event: Message | CallbackQuery,
    lang: Lang,
    admin_service: AdminService,
    bot: Bot,
    command: CommandObject | None = None,
) -> None:
    await _send_export(bot, _chat(event), lang, admin_service, _arguments(command))
    await _done(event)


async def _send_export(bot: Bot, chat_id: int, lang: Lang, admin_service: AdminService, arguments: str) -> None:
    tz = admin_service.settings.timezone
    today = utcnow().astimezone(tz).date()
    args = arguments.split()
    try:
        first = parse_day(args[0], today) if args else today - timedelta(days=30)
        last = parse_day(args[1], today) if len(args) > 1 else today + timedelta(days=366)
    except ValueError:
        await bot.send_message(chat_id, admin_text(lang, "export_usage"))
        return
    if last < first or len(args) > 2:
        await bot.send_message(chat_id, admin_text(lang, "export_usage"))
        return
    start = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    rows = await admin_service.export_rows(start, end)
    document = BufferedInputFile(bookings_csv(rows, tz), filename=f"bookings_{first:%Y-%m-%d}_{last:%Y-%m-%d}.csv")
    caption = admin_text(lang, "export_caption", start=f"{first:%d.%m.%Y}", end=f"{last:%d.%m.%Y}", count=len(rows))
    await bot.send_document(chat_id, document, caption=caption)


@router.message(Command("stats"))
@router.callback_query(AdminMenu.filter(F.item == "stats"))
async def stats_command(
    event: Message | CallbackQuery,
    lang: Lang,
    admin_service: AdminService,
    staff_service: StaffService,
    bot: Bot,
    command: CommandObject | None = None,
) -> None:
    await _send_stats(bot, _chat(event), lang, admin_service, staff_service, _arguments(command))
    await _done(event)


async def _send_stats(
    bot: Bot, chat_id: int, lang: Lang, admin_service: AdminService, staff_service: StaffService, arguments: str
) -> None:
    """`/stats [7d | FROM TO] [@NAME]`: the business's figures (a line per specialist), or one specialist's."""
    tz = admin_service.settings.timezone
    now = utcnow()
    arguments, at, name = arguments.rpartition("@") if "@" in arguments else (arguments, "", "")
    specialist = None
    if at:
        found = await staff_service.find(name)
        if len(found) != 1:
            key = "staff_ambiguous" if found else "staff_unknown"
            await bot.send_message(chat_id, admin_text(lang, key, name=escape(name.strip())))
            return
        specialist = found[0]
    args = arguments.split()
    try:
        if len(args) == 2:
            today = now.astimezone(tz).date()
            first, last = parse_day(args[0], today), parse_day(args[1], today)
            start = datetime.combine(first, datetime.min.time(), tzinfo=tz)
            end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=tz)
        elif len(args) <= 1:
            start, end = now - (parse_duration(args[0]) if args else timedelta(days=30)), now
        else:
            raise ValueError("too many arguments")
        if end <= start:
            raise ValueError("empty period")
    except ValueError:
        await bot.send_message(chat_id, admin_text(lang, "stats_usage"))
        return
    scope = specialist.id if specialist is not None else None
    figures = await stats.collect(admin_service.session, start, end, tz, scope)
    weekdays = t(lang, "weekdays").split(",")
    heading = f"👤 <b>{escape(specialist.name)}</b>\n" if specialist is not None else ""
    lines = [
        admin_text(
            lang,
            "stats_specialist",
            name=escape(item.name),
            made=item.made,
            cancelled=item.cancelled,
            completed=item.completed,
            no_show_rate=percent(item.no_show_rate),
            confirmation_rate=percent(item.confirmation_rate),
            rating=f"{item.rating_average:.2f}" if item.rating_average is not None else "—",
        )
        for item in figures.per_specialist
    ]
    per_specialist = "\n\n" + "\n".join(lines) if lines else ""
    await bot.send_message(
        chat_id,
        heading
        + admin_text(
            lang,
            "stats",
            start=f"{start.astimezone(tz):%d.%m.%Y}",
            end=f"{end.astimezone(tz):%d.%m.%Y}",
            made=figures.made,
            cancelled=figures.cancelled,
            by_clients=figures.cancelled_by_clients,
            completed=figures.completed,
            no_shows=figures.no_shows,
            no_show_rate=percent(figures.no_show_rate),
            confirmation_rate=percent(figures.confirmation_rate),
            rating=f"{figures.rating_average:.2f}" if figures.rating_average is not None else "—",
            ratings=figures.rating_count,
            days=", ".join(f"{weekdays[day - 1]} ({count})" for day, count in figures.busiest_days) or "—",
            hours=", ".join(f"{hour:02d}:00 ({count})" for hour, count in figures.busiest_hours) or "—",
            clients=figures.clients,
            returning=figures.returning_clients,
        )
        + per_specialist,
    )
    month = await stats.collect(admin_service.session, now - timedelta(days=30), now, tz, scope)
    # The chart follows on its own: the admin's next message does not wait for it to be drawn and sent.
    asyncio.create_task(_send_chart(bot, chat_id, month.daily, admin_text(lang, "chart_title")))  # noqa: RUF006 - tracked


async def _send_chart(bot: Bot, chat_id: int, daily: list[tuple[date, int, int]], title: str) -> None:
    async with runtime.current().tracked():
        try:
            png = await asyncio.to_thread(stats.chart_png, daily, title)
            await bot.send_photo(chat_id, BufferedInputFile(png, filename="bookings-30-days.png"))
        except Exception:
            log.exception("The /stats chart for %s could not be sent", chat_id)


def _chat(event: Message | CallbackQuery) -> int:
    return event.chat.id if isinstance(event, Message) else event.from_user.id


def _arguments(command: CommandObject | None) -> str:
    """A command's arguments; the menu's button has none."""
    return (command.args or "") if command is not None else ""


async def _done(event: Message | CallbackQuery) -> None:
    if isinstance(event, CallbackQuery):
        await event.answer()  # the report is in the chat: stop the button's spinner


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}"
