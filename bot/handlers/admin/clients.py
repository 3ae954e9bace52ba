"""/forgive: a client's no-shows stop counting against MAX_NO_SHOWS."""

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.admin_texts import admin_text
from bot.admin_views import client_link
from bot.texts import Lang
from services.admin import AdminService

router = Router(name=__name__)


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
