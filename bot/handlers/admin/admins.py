"""/admins: owners add and remove admins, by id or by a forwarded message (a question)."""

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    Message,
    MessageOriginUser,
)

from bot.admin_texts import admin_text
from bot.callbacks import (
    AdminMenu,
)
from bot.conversation import ask
from bot.handlers.admin.states import AdminStates
from bot.replies import answer
from bot.texts import Lang
from core.errors import ClientNotFound, NotAllowed
from services.admin import AdminService
from services.admin_input import MAX_USER_ID, parse_id

router = Router(name=__name__)


@router.callback_query(AdminMenu.filter(F.item == "admins"))
async def admins_from_menu(callback: CallbackQuery, lang: Lang, admin_service: AdminService) -> None:
    await answer(callback, await _admins_text(lang, admin_service))


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
    except ClientNotFound:
        return admin_text(lang, "never_talked")
    return admin_text(lang, key, who=who)
