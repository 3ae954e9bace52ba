"""/services, /service_add, /service_edit: the services offered, their order and details."""

from html import escape

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
)

from bot.admin_texts import admin_text, too_long
from bot.callbacks import (
    AdminMenu,
    AdminServicesPage,
    AdminServiceToggle,
    AdminServiceUp,
)
from bot.keyboards import callback_button, rows_of
from bot.pages import Entry, clamp, navigation_rows, page_line, page_with, paginate
from bot.replies import answer, show
from bot.texts import Lang
from core.errors import InputTooLong, ServiceNotFound
from services.admin import AdminService
from services.admin_input import parse_id

router = Router(name=__name__)


@router.message(Command("services"))
@router.callback_query(AdminMenu.filter(F.item == "services"))
async def services(event: Message | CallbackQuery, lang: Lang, admin_service: AdminService) -> None:
    await answer(event, *await _services_view(lang, admin_service))


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
    except ServiceNotFound:
        await message.answer(admin_text(lang, "gone"))
        return
    except InputTooLong as error:
        await message.answer(too_long(lang, error))
        return
    except ValueError:
        await message.answer(admin_text(lang, "service_usage"))
        return
    await message.answer(
        admin_text(lang, "service_edited", name=escape(service.name), minutes=service.duration_minutes)
    )


@router.callback_query(AdminServiceToggle.filter())
async def service_toggle(
    callback: CallbackQuery, callback_data: AdminServiceToggle, lang: Lang, admin_service: AdminService
) -> None:
    try:
        await admin_service.toggle_service(callback.from_user.id, callback_data.service_id)
    except ServiceNotFound:
        await callback.answer(admin_text(lang, "gone"), show_alert=True)
        return
    await callback.answer("✅")
    await show(callback, *await _services_view(lang, admin_service, showing=callback_data.service_id))


@router.callback_query(AdminServiceUp.filter())
async def service_up(
    callback: CallbackQuery, callback_data: AdminServiceUp, lang: Lang, admin_service: AdminService
) -> None:
    try:
        await admin_service.move_service_up(callback.from_user.id, callback_data.service_id)
    except ServiceNotFound:
        await callback.answer(admin_text(lang, "gone"), show_alert=True)
        return
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
        if service.buffer_minutes:
            price += f" · 🧹 +{service.buffer_minutes}′"
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
    keyboard += navigation_rows(page, len(pages), lambda target: AdminServicesPage(page=target))
    return text + page_line(page, len(pages), admin_text(lang, "page")), InlineKeyboardMarkup(inline_keyboard=keyboard)
