"""/admin: the menu; each item is handled by its feature's router."""

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import (
    Message,
)

from bot import admin_views
from bot.admin_texts import admin_text
from bot.texts import Lang

router = Router(name=__name__)


@router.message(Command("admin"))
async def admin_menu(message: Message, lang: Lang) -> None:
    await message.answer(admin_text(lang, "menu"), reply_markup=admin_views.menu(lang))
