"""A client's card (/client): history, upcoming bookings, notes, self-booking closed or open; /forgive."""

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot import admin_views
from bot.admin_texts import admin_text, too_long
from bot.admin_views import client_link
from bot.callbacks import ClientBookingClosed, ClientCardOpen, ClientForgive, ClientNoteAsk
from bot.conversation import ask
from bot.handlers.admin.states import AdminStates
from bot.handlers.refusals import refusal_text, refuse
from bot.replies import show
from bot.texts import Lang
from core.errors import BookingError, InputTooLong
from services.admin import NOTE_LIMIT, AdminService

router = Router(name=__name__)


@router.message(Command("client"))
async def client(message: Message, command: CommandObject, lang: Lang, admin_service: AdminService) -> None:
    """`/client ID | @username | NAME`: the card, or a choice among the clients who match."""
    query = (command.args or "").strip()
    if not query:
        await message.answer(admin_text(lang, "client_usage"))
        return
    found = await admin_service.find_clients(query)
    if not found:
        await message.answer(admin_text(lang, "book_for_none"))
    elif len(found) > 1:
        await message.answer(admin_text(lang, "client_pick"), reply_markup=admin_views.client_pick(found))
    else:
        card = await admin_service.client_card(found[0].id)
        text, markup = admin_views.client_card(lang, card, admin_service.settings.timezone)
        await message.answer(text, reply_markup=markup)


@router.callback_query(ClientCardOpen.filter())
async def card_opened(
    callback: CallbackQuery, callback_data: ClientCardOpen, lang: Lang, admin_service: AdminService
) -> None:
    await _show_card(callback, lang, admin_service, callback_data.client_id)


@router.callback_query(ClientBookingClosed.filter())
async def booking_closed(
    callback: CallbackQuery, callback_data: ClientBookingClosed, lang: Lang, admin_service: AdminService
) -> None:
    try:
        changed = await admin_service.set_booking_blocked(
            callback.from_user.id, callback_data.client_id, callback_data.closed
        )
    except BookingError as error:
        await refuse(callback, lang, error)
        return
    done = "card_closed_now" if callback_data.closed else "card_opened_now"
    await _show_card(
        callback, lang, admin_service, callback_data.client_id, admin_text(lang, done if changed else "card_unchanged")
    )


@router.callback_query(ClientForgive.filter())
async def forgiven(
    callback: CallbackQuery, callback_data: ClientForgive, lang: Lang, admin_service: AdminService
) -> None:
    try:
        count = await admin_service.forgive_no_shows(callback.from_user.id, callback_data.client_id)
    except BookingError as error:
        await refuse(callback, lang, error)
        return
    await _show_card(
        callback, lang, admin_service, callback_data.client_id, admin_text(lang, "card_forgiven", count=count)
    )


@router.callback_query(ClientNoteAsk.filter())
async def note_asked(
    callback: CallbackQuery,
    callback_data: ClientNoteAsk,
    lang: Lang,
    admin_service: AdminService,
    state: FSMContext,
    bot: Bot,
) -> None:
    try:
        user = await admin_service.client(callback_data.client_id)
    except BookingError as error:
        await refuse(callback, lang, error)
        return
    await ask(state, AdminStates.client_note, client_id=user.id)
    await callback.answer()
    await bot.send_message(
        callback.from_user.id, admin_text(lang, "card_note_ask", client=client_link(user), limit=NOTE_LIMIT)
    )


@router.message(StateFilter(AdminStates.client_note), F.text, ~F.text.startswith("/"))
async def note_written(message: Message, lang: Lang, admin_service: AdminService, state: FSMContext) -> None:
    data = await state.get_data()
    await state.clear()
    try:
        client_id = int(data["client_id"])
        await admin_service.add_client_note(message.chat.id, client_id, (message.text or "").strip())
        card = await admin_service.client_card(client_id)
    except InputTooLong as error:
        await ask(state, AdminStates.client_note, client_id=data["client_id"])
        await message.answer(too_long(lang, error))
        return
    except (BookingError, KeyError, ValueError) as error:
        await message.answer(refusal_text(lang, error))
        return
    text, markup = admin_views.client_card(lang, card, admin_service.settings.timezone)
    await message.answer(f"{admin_text(lang, 'card_note_saved')}\n\n{text}", reply_markup=markup)


@router.message(Command("forgive"))
async def forgive(message: Message, command: CommandObject, lang: Lang, admin_service: AdminService) -> None:
    """`/forgive ID | @username | NAME`: exactly one client, or nothing changes."""
    query = (command.args or "").strip()
    if not query:
        await message.answer(admin_text(lang, "forgive_usage"))
        return
    found = await admin_service.find_clients(query, limit=2)
    if len(found) != 1:
        await message.answer(admin_text(lang, "book_for_none" if not found else "forgive_ambiguous"))
        return
    client = found[0]
    forgiven = await admin_service.forgive_no_shows(message.chat.id, client.id)
    await message.answer(admin_text(lang, "forgive_done", client=client_link(client), count=forgiven))


async def _show_card(
    callback: CallbackQuery, lang: Lang, admin_service: AdminService, client_id: int, toast: str | None = None
) -> None:
    try:
        card = await admin_service.client_card(client_id)
    except BookingError as error:
        await refuse(callback, lang, error)
        return
    await show(callback, *admin_views.client_card(lang, card, admin_service.settings.timezone))
    await callback.answer(toast)
