"""/staff, /staff_add, /staff_edit, /staff_link, /hours, /dayoff, /notices: the specialists, their weeks and dates."""

from collections.abc import Sequence
from html import escape

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, MessageOriginUser

from bot import admin_views, staff_views
from bot.admin_texts import admin_text, too_long
from bot.callbacks import (
    AdminCancelDo,
    HoursPage,
    StaffCard,
    StaffLink,
    StaffOutside,
    StaffOwnDaysOff,
    StaffPage,
    StaffToggle,
    StaffUnlink,
    StaffUp,
)
from bot.conversation import ask
from bot.formatting import ddmm
from bot.handlers.admin.states import AdminStates
from bot.pages import Entry, clamp, navigation_rows, page_line, paginate
from bot.replies import answer, show
from bot.texts import Lang
from core.errors import InputTooLong, NotAllowed, ServiceNotFound, SpecialistNotFound
from database.models import Booking, Specialist
from services.admin_input import MAX_USER_ID, DatesHours, parse_dates_hours, parse_id, parse_week
from services.staff import StaffMember, StaffService

router = Router(name=__name__)


@router.message(Command("staff"))
async def staff(message: Message, lang: Lang, staff_service: StaffService) -> None:
    await answer(message, *staff_views.staff_list(lang, await staff_service.listed()))


@router.callback_query(StaffPage.filter())
async def staff_page(
    callback: CallbackQuery, callback_data: StaffPage, lang: Lang, staff_service: StaffService
) -> None:
    members = await staff_service.listed()
    await show(callback, *staff_views.staff_list(lang, members, callback_data.page, showing=callback_data.showing))
    await callback.answer()


@router.callback_query(StaffCard.filter())
async def staff_card(
    callback: CallbackQuery, callback_data: StaffCard, lang: Lang, staff_service: StaffService
) -> None:
    if await _show_card(callback, lang, staff_service, callback_data.specialist_id):
        await callback.answer()


@router.message(Command("staff_add"))
async def staff_add(message: Message, command: CommandObject, lang: Lang, staff_service: StaffService) -> None:
    parts = [part.strip() for part in (command.args or "").split(";")]
    if not parts[0]:
        await message.answer(admin_text(lang, "staff_usage"))
        return
    services = parts[1] if len(parts) > 1 else "all"
    description = parts[2] if len(parts) > 2 and parts[2] else None
    try:
        specialist = await staff_service.add(message.chat.id, parts[0], services, description)
    except InputTooLong as error:
        await message.answer(too_long(lang, error))
        return
    except (ServiceNotFound, ValueError):
        await message.answer(admin_text(lang, "staff_bad_services"))
        return
    await message.answer(admin_text(lang, "staff_added", name=escape(specialist.name), id=specialist.id))


@router.message(Command("staff_edit"))
async def staff_edit(message: Message, command: CommandObject, lang: Lang, staff_service: StaffService) -> None:
    parts = (command.args or "").split(maxsplit=2)
    specialist_id = _row_id(parts[0]) if len(parts) == 3 else 0
    field = parts[1].lower() if len(parts) == 3 else ""
    if not specialist_id or field not in ("name", "description", "services"):
        await message.answer(admin_text(lang, "staff_usage"))
        return
    actor, value = message.chat.id, parts[2].strip()
    try:
        if field == "name":
            specialist = await staff_service.rename(actor, specialist_id, value)
        elif field == "description":
            specialist = await staff_service.describe(actor, specialist_id, value)
        else:
            specialist = await staff_service.set_services(actor, specialist_id, value)
    except SpecialistNotFound:
        await message.answer(admin_text(lang, "gone"))
        return
    except InputTooLong as error:
        await message.answer(too_long(lang, error))
        return
    except (ServiceNotFound, ValueError):
        await message.answer(admin_text(lang, "staff_bad_services" if field == "services" else "staff_usage"))
        return
    await message.answer(admin_text(lang, "staff_edited", name=escape(specialist.name)))


@router.message(Command("staff_link"))
async def staff_link(
    message: Message, command: CommandObject, lang: Lang, staff_service: StaffService, state: FSMContext
) -> None:
    args = (command.args or "").split()
    specialist_id = _row_id(args[0]) if args else 0
    user_id = _user_id(args[1]) if len(args) > 1 else None
    if not specialist_id or (len(args) > 1 and user_id is None):
        await message.answer(admin_text(lang, "staff_usage"))
        return
    if user_id is None:
        await ask(state, AdminStates.linking_specialist, specialist_id=specialist_id)
        await message.answer(admin_text(lang, "staff_forward"))
        return
    await message.answer(await _link(lang, staff_service, message.chat.id, specialist_id, user_id))


@router.callback_query(StaffLink.filter())
async def staff_link_button(callback: CallbackQuery, callback_data: StaffLink, lang: Lang, state: FSMContext) -> None:
    await ask(state, AdminStates.linking_specialist, specialist_id=callback_data.specialist_id)
    await callback.answer()
    if callback.message is not None:
        await callback.message.answer(admin_text(lang, "staff_forward"))


@router.message(StateFilter(AdminStates.linking_specialist), F.forward_origin)
async def staff_forwarded(message: Message, lang: Lang, staff_service: StaffService, state: FSMContext) -> None:
    specialist_id = (await state.get_data()).get("specialist_id", 0)
    await state.clear()
    origin = message.forward_origin
    if not isinstance(origin, MessageOriginUser):
        await message.answer(admin_text(lang, "forward_hidden"))
        return
    await message.answer(await _link(lang, staff_service, message.chat.id, specialist_id, origin.sender_user.id))


@router.callback_query(StaffUnlink.filter())
async def staff_unlink(
    callback: CallbackQuery, callback_data: StaffUnlink, lang: Lang, staff_service: StaffService
) -> None:
    try:
        specialist = await staff_service.unlink(callback.from_user.id, callback_data.specialist_id)
    except SpecialistNotFound:
        await callback.answer(admin_text(lang, "gone"), show_alert=True)
        return
    await callback.answer(admin_text(lang, "staff_unlinked", name=specialist.name))
    await _show_card(callback, lang, staff_service, specialist.id)


@router.callback_query(StaffToggle.filter())
async def staff_toggle(
    callback: CallbackQuery, callback_data: StaffToggle, lang: Lang, staff_service: StaffService
) -> None:
    try:
        await staff_service.toggle(callback.from_user.id, callback_data.specialist_id)
    except SpecialistNotFound:
        await callback.answer(admin_text(lang, "gone"), show_alert=True)
        return
    except NotAllowed:
        await callback.answer(admin_text(lang, "staff_last"), show_alert=True)
        return
    await callback.answer("✅")
    await _show_card(callback, lang, staff_service, callback_data.specialist_id)


@router.callback_query(StaffUp.filter())
async def staff_up(callback: CallbackQuery, callback_data: StaffUp, lang: Lang, staff_service: StaffService) -> None:
    try:
        await staff_service.move_up(callback.from_user.id, callback_data.specialist_id)
    except SpecialistNotFound:
        await callback.answer(admin_text(lang, "gone"), show_alert=True)
        return
    await callback.answer("⬆️")
    members = await staff_service.listed()
    await show(callback, *staff_views.staff_list(lang, members, showing=callback_data.specialist_id))


@router.callback_query(StaffOwnDaysOff.filter())
async def staff_own_days_off(
    callback: CallbackQuery, callback_data: StaffOwnDaysOff, lang: Lang, staff_service: StaffService
) -> None:
    try:
        specialist = await staff_service.get(callback_data.specialist_id)
        await staff_service.allow_own_days_off(callback.from_user.id, specialist.id, not specialist.may_edit_days_off)
    except SpecialistNotFound:
        await callback.answer(admin_text(lang, "gone"), show_alert=True)
        return
    await callback.answer("✅")
    await _show_card(callback, lang, staff_service, specialist.id)


@router.message(Command("hours"))
async def hours(message: Message, command: CommandObject, lang: Lang, staff_service: StaffService) -> None:
    """`/hours`: everyone's week; `/hours NAME WEEK` or `/hours NAME DATE HOURS`: set them."""
    args = (command.args or "").strip()
    if not args:
        await answer(message, *_hours_overview(lang, await staff_service.listed()))
        return
    specialist = await _one_named(message, lang, staff_service, args)
    if specialist is None:
        return
    _, rest = await staff_service.named(args)
    actor = message.chat.id
    today = staff_service.availability.schedule.local_date(message.date)
    try:
        if rest[:1].isdigit():
            dated = parse_dates_hours(rest, today)
            left_out = await staff_service.set_dates(actor, specialist.id, dated)
            text = _dates_saved(lang, specialist, dated)
        else:
            left_out = await staff_service.set_week(actor, specialist.id, parse_week(rest))
            member = next(item for item in await staff_service.listed() if item.specialist.id == specialist.id)
            text = admin_text(
                lang, "hours_saved", name=escape(specialist.name), week=staff_views.week_text(lang, member.week)
            )
    except InputTooLong as error:
        await message.answer(too_long(lang, error))
        return
    except ValueError as error:
        await message.answer(
            admin_text(lang, "hours_bad", error=escape(str(error))) + "\n\n" + admin_text(lang, "hours_usage")
        )
        return
    await answer(message, *_with_left_out(lang, staff_service, text, specialist, left_out))


@router.callback_query(HoursPage.filter())
async def hours_page(
    callback: CallbackQuery, callback_data: HoursPage, lang: Lang, staff_service: StaffService
) -> None:
    await show(callback, *_hours_overview(lang, await staff_service.listed(), callback_data.page))
    await callback.answer()


@router.message(Command("dayoff"))
async def dayoff(message: Message, command: CommandObject, lang: Lang, staff_service: StaffService) -> None:
    args = (command.args or "").strip()
    specialist = await _one_named(message, lang, staff_service, args) if args else None
    if specialist is None:
        if not args:
            await message.answer(admin_text(lang, "dayoff_usage"))
        return
    _, rest = await staff_service.named(args)
    try:
        dated = parse_dates_hours(rest, staff_service.availability.schedule.local_date(message.date), day_off=True)
        left_out = await staff_service.set_dates(message.chat.id, specialist.id, dated)
    except InputTooLong as error:
        await message.answer(too_long(lang, error))
        return
    except ValueError as error:
        await message.answer(
            admin_text(lang, "hours_bad", error=escape(str(error))) + "\n\n" + admin_text(lang, "dayoff_usage")
        )
        return
    text = _dates_saved(lang, specialist, dated)
    await answer(message, *_with_left_out(lang, staff_service, text, specialist, left_out))


@router.callback_query(StaffOutside.filter())
async def outside_page(
    callback: CallbackQuery, callback_data: StaffOutside, lang: Lang, staff_service: StaffService
) -> None:
    try:
        specialist = await staff_service.get(callback_data.specialist_id)
    except SpecialistNotFound:
        await callback.answer(admin_text(lang, "gone"), show_alert=True)
        return
    left_out = await staff_service.outside_hours(specialist)
    text = f"👤 <b>{escape(specialist.name)}</b>"
    await show(callback, *_with_left_out(lang, staff_service, text, specialist, left_out, callback_data.page))
    await callback.answer()


@router.message(Command("notices"))
async def notices(message: Message, command: CommandObject, lang: Lang, staff_service: StaffService) -> None:
    choice = (command.args or "").strip().lower()
    if choice not in ("on", "off"):
        await message.answer(admin_text(lang, "notices_usage"))
        return
    await staff_service.quiet(message.chat.id, choice == "off")
    await message.answer(admin_text(lang, f"notices_{choice}"))


async def _show_card(callback: CallbackQuery, lang: Lang, staff_service: StaffService, specialist_id: int) -> bool:
    """Show the specialist's card; whether there was one (otherwise the click is answered "gone")."""
    member = next((item for item in await staff_service.listed() if item.specialist.id == specialist_id), None)
    if member is None:
        await callback.answer(admin_text(lang, "gone"), show_alert=True)
        return False
    await show(callback, *staff_views.staff_card(lang, member))
    return True


async def _link(lang: Lang, staff_service: StaffService, actor: int, specialist_id: int, user_id: int) -> str:
    try:
        specialist = await staff_service.link(actor, specialist_id, user_id)
    except SpecialistNotFound:
        return admin_text(lang, "gone")
    return admin_text(lang, "staff_linked_done", name=escape(specialist.name), user=user_id)


async def _one_named(message: Message, lang: Lang, staff_service: StaffService, args: str) -> Specialist | None:
    found, _ = await staff_service.named(args)
    if len(found) == 1:
        return found[0]
    name = escape(args.split()[0])
    await message.answer(admin_text(lang, "staff_ambiguous" if found else "staff_unknown", name=name))
    return None


def _dates_saved(lang: Lang, specialist: Specialist, dated: DatesHours) -> str:
    return admin_text(
        lang,
        "dates_saved",
        name=escape(specialist.name),
        first=ddmm(dated.first),
        last=ddmm(dated.last),
        hours=staff_views.shifts_text(lang, dated.shifts),
        note=f" ({escape(dated.note)})" if dated.note else "",
    )


def _with_left_out(
    lang: Lang,
    staff_service: StaffService,
    text: str,
    specialist: Specialist,
    left_out: Sequence[Booking],
    page: int = 0,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """What was saved, then the upcoming bookings the new hours leave out, each to keep or cancel."""
    if not left_out:
        return text, None
    part, keyboard = admin_views.decisions(
        lang,
        left_out,
        staff_service.settings.timezone,
        page,
        cancel=lambda booking: AdminCancelDo(booking_id=booking.id),
        to_page=lambda target: StaffOutside(specialist_id=specialist.id, page=target),
        heading="conflicts_hours",
    )
    return text + part, keyboard


def _hours_overview(
    lang: Lang, members: Sequence[StaffMember], page: int = 0
) -> tuple[str, InlineKeyboardMarkup | None]:
    pages = paginate([Entry(line) for line in staff_views.hours_overview(lang, members)], chars=3000)
    page = clamp(page, pages)
    text = "\n".join([admin_text(lang, "hours_title"), *(entry.text for entry in pages[page])])
    text += page_line(page, len(pages), admin_text(lang, "page")) + "\n\n" + admin_text(lang, "hours_usage")
    rows = navigation_rows(page, len(pages), lambda target: HoursPage(page=target))
    return text, InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def _row_id(text: str) -> int:
    try:
        return parse_id(text)
    except ValueError:
        return 0


def _user_id(text: str) -> int | None:
    try:
        return parse_id(text, MAX_USER_ID)
    except ValueError:
        return None
