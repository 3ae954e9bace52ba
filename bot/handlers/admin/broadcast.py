"""/broadcast: the message (a question), its preview, sending or dropping it."""

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    Message,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.admin_texts import admin_text
from bot.callbacks import (
    AdminMenu,
    BroadcastDrop,
    BroadcastSend,
)
from bot.composer import broadcast_progress
from bot.conversation import ask
from bot.handlers.admin.states import AdminStates
from bot.replies import answer, show
from bot.texts import Lang
from services import broadcast
from services.admin import AdminService
from services.messages import Tally

router = Router(name=__name__)


@router.message(Command("broadcast"))
@router.callback_query(AdminMenu.filter(F.item == "broadcast"))
async def broadcast_begin(event: Message | CallbackQuery, lang: Lang, state: FSMContext) -> None:
    await ask(state, AdminStates.broadcast_message)
    await answer(event, admin_text(lang, "broadcast_ask"))


@router.message(StateFilter(AdminStates.broadcast_message), F.photo | (F.text & ~F.text.startswith("/")))
async def broadcast_compose(
    message: Message, lang: Lang, admin_service: AdminService, state: FSMContext, bot: Bot
) -> None:
    await state.clear()
    draft, count = await broadcast.create_draft(
        admin_service.session, message.chat.id, message.chat.id, message.message_id
    )
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
    await callback.answer("📣")
    await show(callback, broadcast_progress(lang, Tally(total=started.total, pending=started.total)))


@router.callback_query(BroadcastDrop.filter())
async def broadcast_drop(
    callback: CallbackQuery, callback_data: BroadcastDrop, lang: Lang, admin_service: AdminService
) -> None:
    if not await broadcast.drop(admin_service.session, callback_data.broadcast_id, callback.from_user.id):
        await callback.answer(admin_text(lang, "broadcast_gone"), show_alert=True)
        return
    await callback.answer()
    await show(callback, admin_text(lang, "broadcast_dropped"))
