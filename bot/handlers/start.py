from html import escape

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message

from bot.keyboards import main_menu
from bot.middlewares import READ_ONLY
from bot.texts import Lang, menu_texts, t
from core.durations import format_duration
from database.models import User
from services.booking import BookingService

router = Router(name=__name__)


@router.message(CommandStart(), flags=READ_ONLY)
async def start(message: Message, user: User, lang: Lang) -> None:
    await message.answer(t(lang, "greeting", name=escape(user.first_name)), reply_markup=main_menu(lang))


@router.message(Command("help"), flags=READ_ONLY)
@router.message(F.text.in_(menu_texts("menu_help")), flags=READ_ONLY)
async def help_(message: Message, lang: Lang, booking_service: BookingService) -> None:
    settings = booking_service.settings
    reminders = ", ".join(format_duration(offset) for offset in settings.reminders) or "—"
    await message.answer(
        t(lang, "help", reminders=reminders, cutoff=format_duration(settings.cancel_cutoff)),
        reply_markup=main_menu(lang),
    )


@router.message(Command("cancel"), flags=READ_ONLY)
async def leave_flow(message: Message, lang: Lang) -> None:
    # The question in progress, if any, was already dropped by bot.conversation (a command leaves it).
    await message.answer(t(lang, "flow_left"), reply_markup=main_menu(lang))
