"""Whatever no other handler took: a helpful answer for messages, and an answer for every click."""

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot.keyboards import main_menu
from bot.middlewares import READ_ONLY
from bot.texts import Lang, t

router = Router(name=__name__)


@router.message(flags=READ_ONLY)
async def unknown_message(message: Message, lang: Lang) -> None:
    await message.answer(t(lang, "unknown"), reply_markup=main_menu(lang))


@router.callback_query(flags=READ_ONLY)
async def stale_button(callback: CallbackQuery, lang: Lang) -> None:
    await callback.answer(t(lang, "stale_button"), show_alert=True)
