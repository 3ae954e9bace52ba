"""The admin side. The filter on this router lets only admins in: to anyone else these commands and
buttons do not exist, and their updates fall through to the fallback's neutral answers."""

import asyncio
import logging
from datetime import date, datetime, timedelta
from html import escape

from aiogram import Bot, F, Router
from aiogram.filters import BaseFilter, Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    MessageOriginUser,
    TelegramObject,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import admin_views
from bot.admin_texts import admin_text, too_long
from bot.callbacks import (
    AdminAudit,
    AdminBlockPage,
    AdminBlocksPage,
    AdminBookFor,
    AdminCancelAsk,
    AdminCancelDo,
    AdminDay,
    AdminKeep,
    AdminMenu,
    AdminReschedule,
    AdminServicesPage,
    AdminServiceToggle,
    AdminServiceUp,
    AdminUnblock,
    BroadcastDrop,
    BroadcastSend,
)
from bot.composer import broadcast_progress
from bot.conversation import ask
from bot.handlers.booking import Acting, dates_view_for_reschedule, first_step
from bot.handlers.refusals import refusal_text, refuse
from bot.keyboards import callback_button, rows_of
from bot.pages import Entry, clamp, navigation, page_line, page_with, paginate
from bot.replies import show
from bot.texts import Lang, pick_language, t
from core.durations import parse_duration
from core.errors import BookingError, BookingNotFound, InputTooLong
from database.models import BlockedPeriod, Booking, utcnow
from services import broadcast, health, runtime, stats
from services.admin import AdminService, NotAllowed
from services.admin_input import MAX_USER_ID, parse_day, parse_id, parse_period
from services.booking import BookingService, Sender
from services.delivery import deliver
from services.export import bookings_csv
from services.messages import Tally

log = logging.getLogger(__name__)
router = Router(name=__name__)


class IsAdmin(BaseFilter):
    async def __call__(self, event: TelegramObject, admin_service: AdminService, sender: Sender | None = None) -> bool:
        # Every client update meets this filter: the sender's own read already says whether they are listed.
        if sender is not None:
            return admin_service.is_owner(sender.profile.id) or sender.listed_admin
        from_user = getattr(event, "from_user", None)
        return from_user is not None and await admin_service.is_admin(from_user.id)


router.message.filter(IsAdmin())
router.callback_query.filter(IsAdmin())


class AdminStates(StatesGroup):
    cancel_reason = State()
    adding_admin = State()
    broadcast_message = State()


@router.message(Command("admin"))
async def admin_menu(message: Message, lang: Lang) -> None:
    await message.answer(admin_text(lang, "menu"), reply_markup=admin_views.menu(lang))


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


@router.callback_query(AdminMenu.filter())
async def menu_item(
    callback: CallbackQuery,
    callback_data: AdminMenu,
    lang: Lang,
    admin_service: AdminService,
    booking_service: BookingService,
    bot: Bot,
    state: FSMContext,
) -> None:
    await callback.answer()
    tz = admin_service.settings.timezone
    today = utcnow().astimezone(tz).date()
    item = callback_data.item
    if item in ("today", "tomorrow"):
        day = today if item == "today" else today + timedelta(days=1)
        text, markup = await _day_view(lang, day, 0, admin_service, booking_service)
        await bot.send_message(callback.from_user.id, text, reply_markup=markup)
    elif item == "blocks":
        text, blocks_markup = admin_views.blocks_view(lang, await admin_service.upcoming_blocks(), tz)
        await bot.send_message(callback.from_user.id, text, reply_markup=blocks_markup)
    elif item == "jobs":
        await bot.send_message(callback.from_user.id, _jobs_text(lang, admin_service))
    elif item == "health":
        await bot.send_message(callback.from_user.id, await _health_text(lang, admin_service))
    elif item == "audit":
        text, audit_markup = await _audit_view(lang, admin_service, 0)
        await bot.send_message(callback.from_user.id, text, reply_markup=audit_markup)
    elif item == "services":
        text, services_markup = await _services_view(lang, admin_service)
        await bot.send_message(callback.from_user.id, text, reply_markup=services_markup)
    elif item == "feedback":
        await bot.send_message(callback.from_user.id, await _feedback_text(lang, admin_service))
    elif item == "stats":
        await _send_stats(bot, callback.from_user.id, lang, admin_service, "")
    elif item == "export":
        await _send_export(bot, callback.from_user.id, lang, admin_service, "")
    elif item == "book_for":
        found = await admin_service.find_clients("")
        text = admin_text(lang, "book_for_pick" if found else "book_for_none")
        await bot.send_message(callback.from_user.id, text, reply_markup=admin_views.clients(found) if found else None)
    elif item == "broadcast":
        await ask(state, AdminStates.broadcast_message)
        await bot.send_message(callback.from_user.id, admin_text(lang, "broadcast_ask"))
    elif item == "admins":
        await bot.send_message(callback.from_user.id, await _admins_text(lang, admin_service))


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
    state: FSMContext,
    bot: Bot,
) -> None:
    await state.clear()
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
    state: FSMContext,
    bot: Bot,
) -> None:
    await state.clear()
    try:
        booking = await admin_service.booking(callback_data.booking_id)
    except BookingError as error:
        await refuse(callback, lang, error)
        return
    await callback.answer("↩️")
    values = admin_views.booking_values(booking, admin_service.settings.timezone)
    await bot.send_message(callback.from_user.id, admin_text(lang, "kept", **values))


@router.message(Command("book_for"))
async def book_for(message: Message, command: CommandObject, lang: Lang, admin_service: AdminService) -> None:
    found = await admin_service.find_clients(command.args or "")
    if not found:
        await message.answer(admin_text(lang, "book_for_none"))
        return
    await message.answer(admin_text(lang, "book_for_pick"), reply_markup=admin_views.clients(found))


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
    state: FSMContext,
) -> None:
    await state.clear()
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


@router.message(Command("broadcast"))
async def broadcast_begin(message: Message, lang: Lang, state: FSMContext) -> None:
    await ask(state, AdminStates.broadcast_message)
    await message.answer(admin_text(lang, "broadcast_ask"))


@router.message(StateFilter(AdminStates.broadcast_message), F.photo | (F.text & ~F.text.startswith("/")))
async def broadcast_compose(
    message: Message, lang: Lang, admin_service: AdminService, state: FSMContext, bot: Bot
) -> None:
    await state.clear()
    draft, count = await broadcast.create_draft(
        admin_service.session, message.chat.id, message.chat.id, message.message_id
    )
    await admin_service.commit()
    await bot.copy_message(message.chat.id, message.chat.id, message.message_id)
    buttons = InlineKeyboardBuilder()
    buttons.button(
        text=admin_text(lang, "btn_broadcast_send", count=count), callback_data=BroadcastSend(broadcast_id=draft.id)
    )
    buttons.button(text=admin_text(lang, "btn_broadcast_drop"), callback_data=BroadcastDrop(broadcast_id=draft.id))
    await message.answer(admin_text(lang, "broadcast_preview", count=count), reply_markup=buttons.as_markup())


@router.message(StateFilter(AdminStates.broadcast_message), ~F.text.startswith("/"))
async def broadcast_wrong_kind(message: Message, lang: Lang) -> None:
    await message.answer(admin_text(lang, "broadcast_wrong_kind"))


@router.callback_query(BroadcastSend.filter())
async def broadcast_send(
    callback: CallbackQuery, callback_data: BroadcastSend, lang: Lang, admin_service: AdminService
) -> None:
    started = await broadcast.start(admin_service.session, callback_data.broadcast_id, callback.from_user.id)
    if started is None or not isinstance(callback.message, Message):
        await callback.answer(admin_text(lang, "broadcast_gone"), show_alert=True)
        return
    started.progress_chat_id = callback.message.chat.id
    started.progress_message_id = callback.message.message_id
    await admin_service.audit(
        callback.from_user.id, "broadcast.start", f"broadcast:{started.id}", None, {"recipients": started.total}
    )
    await admin_service.commit()
    runtime.current().jobs.run_broadcast(started.id)
    await callback.answer("📣")
    await show(callback, broadcast_progress(lang, Tally(total=started.total, pending=started.total)))


@router.callback_query(BroadcastDrop.filter())
async def broadcast_drop(
    callback: CallbackQuery, callback_data: BroadcastDrop, lang: Lang, admin_service: AdminService
) -> None:
    if not await broadcast.drop(admin_service.session, callback_data.broadcast_id, callback.from_user.id):
        await callback.answer(admin_text(lang, "broadcast_gone"), show_alert=True)
        return
    await admin_service.commit()
    await callback.answer()
    await show(callback, admin_text(lang, "broadcast_dropped"))


@router.message(Command("block"))
async def block(message: Message, command: CommandObject, lang: Lang, admin_service: AdminService) -> None:
    tz = admin_service.settings.timezone
    try:
        period = parse_period(command.args or "", utcnow().astimezone(tz).date(), tz)
    except ValueError:
        await message.answer(admin_text(lang, "block_usage"))
        return
    try:
        created, is_new, inside = await admin_service.block(message.chat.id, period.start, period.end, period.reason)
    except InputTooLong as error:
        await message.answer(too_long(lang, error))
        return
    await admin_service.commit()
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
async def blocks(message: Message, lang: Lang, admin_service: AdminService) -> None:
    text, markup = admin_views.blocks_view(lang, await admin_service.upcoming_blocks(), admin_service.settings.timezone)
    await message.answer(text, reply_markup=markup)


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
    except BookingNotFound:
        await callback.answer(admin_text(lang, "gone"), show_alert=True)
        return
    await admin_service.commit()
    await callback.answer("✅")
    start, end = admin_views.period_text(removed.starts_at, removed.ends_at, admin_service.settings.timezone)
    text, markup = admin_views.blocks_view(lang, await admin_service.upcoming_blocks(), admin_service.settings.timezone)
    await show(callback, f"{admin_text(lang, 'unblocked', start=start, end=end)}\n\n{text}", markup)


@router.message(Command("jobs"))
async def jobs(message: Message, lang: Lang, admin_service: AdminService) -> None:
    await message.answer(_jobs_text(lang, admin_service))


@router.message(Command("health"))
async def health_command(message: Message, lang: Lang, admin_service: AdminService) -> None:
    await message.answer(await _health_text(lang, admin_service))


@router.message(Command("admins"))
async def admins(
    message: Message, command: CommandObject, lang: Lang, admin_service: AdminService, state: FSMContext
) -> None:
    args = (command.args or "").split()
    actor = message.chat.id
    if not args:
        await message.answer(await _admins_text(lang, admin_service))
        return
    if not admin_service.is_owner(actor):
        await message.answer(admin_text(lang, "owners_only"))
        return
    action, target = args[0].lower(), args[1] if len(args) > 1 else ""
    if action == "add" and not target:
        await ask(state, AdminStates.adding_admin)
        await message.answer(admin_text(lang, "admins_forward"))
    elif action in ("add", "remove") and (user_id := _user_id(target)):
        await message.answer(await _change_admin(lang, admin_service, action, actor, user_id))
    else:
        await message.answer(admin_text(lang, "admins_title", owners="…", added="…"))


@router.message(StateFilter(AdminStates.adding_admin), F.forward_origin)
async def admin_forwarded(message: Message, lang: Lang, admin_service: AdminService, state: FSMContext) -> None:
    await state.clear()
    origin = message.forward_origin
    if not isinstance(origin, MessageOriginUser):
        await message.answer(admin_text(lang, "forward_hidden"))
        return
    await message.answer(await _change_admin(lang, admin_service, "add", message.chat.id, origin.sender_user.id))


@router.message(Command("audit"))
async def audit(message: Message, lang: Lang, admin_service: AdminService) -> None:
    text, markup = await _audit_view(lang, admin_service, 0)
    await message.answer(text, reply_markup=markup)


@router.callback_query(AdminAudit.filter())
async def audit_page(
    callback: CallbackQuery, callback_data: AdminAudit, lang: Lang, admin_service: AdminService
) -> None:
    await callback.answer()
    await show(callback, *await _audit_view(lang, admin_service, max(callback_data.page, 0)))


@router.message(Command("feedback"))
async def feedback(message: Message, lang: Lang, admin_service: AdminService) -> None:
    await message.answer(await _feedback_text(lang, admin_service))


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
async def export(message: Message, command: CommandObject, lang: Lang, admin_service: AdminService, bot: Bot) -> None:
    await _send_export(bot, message.chat.id, lang, admin_service, command.args or "")


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
async def stats_command(
    message: Message, command: CommandObject, lang: Lang, admin_service: AdminService, bot: Bot
) -> None:
    await _send_stats(bot, message.chat.id, lang, admin_service, command.args or "")


async def _send_stats(bot: Bot, chat_id: int, lang: Lang, admin_service: AdminService, arguments: str) -> None:
    tz = admin_service.settings.timezone
    now = utcnow()
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
    figures = await stats.collect(admin_service.session, start, end, tz)
    weekdays = t(lang, "weekdays").split(",")
    await bot.send_message(
        chat_id,
        admin_text(
            lang,
            "stats",
            start=f"{start.astimezone(tz):%d.%m.%Y}",
            end=f"{end.astimezone(tz):%d.%m.%Y}",
            made=figures.made,
            cancelled=figures.cancelled,
            by_clients=figures.cancelled_by_clients,
            completed=figures.completed,
            rating=f"{figures.rating_average:.2f}" if figures.rating_average is not None else "—",
            ratings=figures.rating_count,
            days=", ".join(f"{weekdays[day - 1]} ({count})" for day, count in figures.busiest_days) or "—",
            hours=", ".join(f"{hour:02d}:00 ({count})" for hour, count in figures.busiest_hours) or "—",
            clients=figures.clients,
            returning=figures.returning_clients,
        ),
    )
    month = await stats.collect(admin_service.session, now - timedelta(days=30), now, tz)
    # The chart follows on its own: the admin's next message does not wait for it to be drawn and sent.
    asyncio.create_task(_send_chart(bot, chat_id, month.daily, admin_text(lang, "chart_title")))  # noqa: RUF006 - tracked


async def _send_chart(bot: Bot, chat_id: int, daily: list[tuple[date, int, int]], title: str) -> None:
    async with runtime.current().tracked():
        try:
            png = await asyncio.to_thread(stats.chart_png, daily, title)
            await bot.send_photo(chat_id, BufferedInputFile(png, filename="bookings-30-days.png"))
        except Exception:
            log.exception("The /stats chart for %s could not be sent", chat_id)


@router.message(Command("services"))
async def services(message: Message, lang: Lang, admin_service: AdminService) -> None:
    text, markup = await _services_view(lang, admin_service)
    await message.answer(text, reply_markup=markup)


@router.message(Command("service_add"))
async def service_add(message: Message, command: CommandObject, lang: Lang, admin_service: AdminService) -> None:
    parts = [part.strip() for part in (command.args or "").split(";")]
    if len(parts) < 2 or not parts[0] or not parts[1].isdigit() or not 0 < int(parts[1]) <= 24 * 60:
        await message.answer(admin_text(lang, "service_usage"))
        return
    price = parts[2] if len(parts) > 2 and parts[2] else None
    description = parts[3] if len(parts) > 3 and parts[3] else None
    try:
        service = await admin_service.add_service(message.chat.id, parts[0], int(parts[1]), price, description)
    except InputTooLong as error:
        await message.answer(too_long(lang, error))
        return
    await admin_service.commit()
    await message.answer(admin_text(lang, "service_added", name=escape(service.name), minutes=service.duration_minutes))


@router.message(Command("service_edit"))
async def service_edit(message: Message, command: CommandObject, lang: Lang, admin_service: AdminService) -> None:
    parts = (command.args or "").split(maxsplit=2)
    try:
        service_id = parse_id(parts[0]) if len(parts) == 3 else 0
    except ValueError:
        service_id = 0
    if not service_id:
        await message.answer(admin_text(lang, "service_usage"))
        return
    try:
        service = await admin_service.edit_service(message.chat.id, service_id, parts[1].lower(), parts[2].strip())
    except BookingNotFound:
        await message.answer(admin_text(lang, "gone"))
        return
    except InputTooLong as error:
        await message.answer(too_long(lang, error))
        return
    except ValueError:
        await message.answer(admin_text(lang, "service_usage"))
        return
    await admin_service.commit()
    await message.answer(
        admin_text(lang, "service_edited", name=escape(service.name), minutes=service.duration_minutes)
    )


@router.callback_query(AdminServiceToggle.filter())
async def service_toggle(
    callback: CallbackQuery, callback_data: AdminServiceToggle, lang: Lang, admin_service: AdminService
) -> None:
    try:
        await admin_service.toggle_service(callback.from_user.id, callback_data.service_id)
    except BookingNotFound:
        await callback.answer(admin_text(lang, "gone"), show_alert=True)
        return
    await admin_service.commit()
    await callback.answer("✅")
    await show(callback, *await _services_view(lang, admin_service, showing=callback_data.service_id))


@router.callback_query(AdminServiceUp.filter())
async def service_up(
    callback: CallbackQuery, callback_data: AdminServiceUp, lang: Lang, admin_service: AdminService
) -> None:
    try:
        await admin_service.move_service_up(callback.from_user.id, callback_data.service_id)
    except BookingNotFound:
        await callback.answer(admin_text(lang, "gone"), show_alert=True)
        return
    await admin_service.commit()
    await callback.answer("⬆️")
    await show(callback, *await _services_view(lang, admin_service, showing=callback_data.service_id))


@router.callback_query(AdminServicesPage.filter())
async def services_page(
    callback: CallbackQuery, callback_data: AdminServicesPage, lang: Lang, admin_service: AdminService
) -> None:
    await show(callback, *await _services_view(lang, admin_service, callback_data.page))
    await callback.answer()


async def _services_view(
    lang: Lang, admin_service: AdminService, page: int = 0, *, showing: int | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    """The services, a page at a time; `showing`: the page with this service on it."""
    entries = []
    for service in await admin_service.all_services():
        price = f" · {escape(service.price)}" if service.price else ""
        state = "✅" if service.is_active else "⏸"
        line = admin_text(
            lang,
            "service_line",
            state=state,
            id=service.id,
            name=escape(service.name),
            minutes=service.duration_minutes,
            price=price,
        )
        toggle = callback_button(
            f"{'⏸' if service.is_active else '▶️'} {service.name}"[:60], AdminServiceToggle(service_id=service.id)
        )
        entries.append(Entry(line, (toggle, callback_button("⬆️", AdminServiceUp(service_id=service.id)))))
    pages = paginate(entries)
    if showing is not None:
        page = page_with(
            pages, lambda entry: entry.buttons[1].callback_data == AdminServiceUp(service_id=showing).pack()
        )
    page = clamp(page, pages)
    text = "\n".join([admin_text(lang, "services_title"), *(entry.text for entry in pages[page])])
    keyboard = rows_of([b for entry in pages[page] for b in entry.buttons], 2)
    keyboard.append(navigation(page, len(pages), lambda target: AdminServicesPage(page=target)))
    return text + page_line(page, len(pages), admin_text(lang, "page")), InlineKeyboardMarkup(inline_keyboard=keyboard)


def _user_id(text: str) -> int | None:
    try:
        return parse_id(text, MAX_USER_ID)
    except ValueError:
        return None


async def _admins_text(lang: Lang, admin_service: AdminService) -> str:
    added = sorted((await admin_service.admin_ids()) - set(admin_service.settings.admin_ids))
    owners = sorted(admin_service.settings.admin_ids)
    return admin_text(lang, "admins_title", owners=_ids(owners), added=_ids(added))


def _ids(ids: list[int], shown: int = 100) -> str:
    """Up to `shown` ids (a message holds about 300), then how many more."""
    more = f" … (+{len(ids) - shown})" if len(ids) > shown else ""
    return ", ".join(map(str, ids[:shown])) + more or "—"


async def _change_admin(lang: Lang, admin_service: AdminService, action: str, actor: int, target: int) -> str:
    who = f"<code>{target}</code>"
    try:
        if action == "add":
            changed = await admin_service.add_admin(actor, target)
            key = "admin_added" if changed else "admin_exists"
        else:
            changed = await admin_service.remove_admin(actor, target)
            key = "admin_removed" if changed else "admin_not_found"
    except NotAllowed:
        return admin_text(lang, "owner_fixed" if action == "remove" else "owners_only")
    except BookingNotFound:
        return admin_text(lang, "never_talked")
    await admin_service.commit()
    return admin_text(lang, key, who=who)


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


async def _after_admin_cancel(
    lang: Lang, booking: Booking, reason: str | None, admin_service: AdminService, bot: Bot, admin_chat: int
) -> None:
    await admin_service.commit()
    tz = admin_service.settings.timezone
    values = admin_views.booking_values(booking, tz)
    await bot.send_message(admin_chat, admin_text(lang, "cancelled_by_admin", **values))
    client_lang = pick_language(booking.user.language, admin_service.settings.default_language)
    suffix = admin_text(client_lang, "reason_suffix", reason=escape(reason)) if reason else ""
    notice = admin_text(client_lang, "client_cancelled_by_business", reason=suffix, **values)
    await deliver(bot, booking.user_id, notice)


def _jobs_text(lang: Lang, admin_service: AdminService) -> str:
    rt = runtime.current()
    scheduler: AsyncIOScheduler = rt.jobs.scheduler
    tz = admin_service.settings.timezone
    counts = {"reminder": 0, "feedback": 0, "sweep": 0, "other": 0}
    all_jobs = scheduler.get_jobs()
    for job in all_jobs:
        counts[health.job_kind(job.id)] += 1
    upcoming = sorted((j for j in all_jobs if j.next_run_time), key=lambda j: j.next_run_time)[:10]
    lines = [f"{j.next_run_time.astimezone(tz):%d.%m %H:%M:%S} — <code>{escape(j.id)}</code>" for j in upcoming]
    return admin_text(
        lang,
        "jobs",
        state=admin_text(lang, health.scheduler_role(scheduler)),
        store=rt.job_store.kind,
        reason=escape(rt.job_store.reason),
        reminders=counts["reminder"],
        feedback=counts["feedback"],
        sweeps=counts["sweep"],
        other=counts["other"],
        next="\n".join(lines) or "—",
    )


async def _health_text(lang: Lang, admin_service: AdminService) -> str:
    report = await health.check(runtime.current(), admin_service.session)
    return admin_text(lang, "health", **report.as_text(admin_service.settings.timezone))


async def _audit_view(lang: Lang, admin_service: AdminService, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    entries, total = await admin_service.audit_page(page)
    if not total:
        return admin_text(lang, "audit_none"), None
    tz = admin_service.settings.timezone
    lines = [admin_text(lang, "audit_title", total=total)]
    for entry in entries:
        change = escape(admin_views.audit_change(entry.before, entry.after))
        lines.append(
            f"{entry.created_at.astimezone(tz):%d.%m %H:%M} <code>{entry.actor_id}</code> "
            f"<b>{escape(entry.action)}</b> {escape(entry.target or '')}\n{change}"
        )
    builder = InlineKeyboardBuilder()
    if page > 0:
        builder.button(text="⬅️", callback_data=AdminAudit(page=page - 1))
    if (page + 1) * 10 < total:
        builder.button(text="➡️", callback_data=AdminAudit(page=page + 1))
    return "\n\n".join(lines), builder.as_markup()
