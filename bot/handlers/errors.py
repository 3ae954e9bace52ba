import logging

from aiogram import Router
from aiogram.types import ErrorEvent

from bot.texts import pick_language, t
from config import Settings
from database.engine import is_unavailable

log = logging.getLogger(__name__)
router = Router(name=__name__)


@router.errors()
async def on_error(event: ErrorEvent, settings: Settings) -> None:
    error = event.exception
    unavailable = is_unavailable(error)
    if unavailable:
        log.warning("Update %s failed, database unavailable: %s", event.update.update_id, error)
    else:
        log.exception("Update %s failed", event.update.update_id, exc_info=error)
    update = event.update
    origin = update.message or update.callback_query or update.edited_message
    sender = origin.from_user if origin is not None else None
    language = pick_language(sender.language_code if sender else None, settings.default_language)
    text = t(language, "unavailable" if unavailable else "error")
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.message is not None:
            await update.message.answer(text)
    except Exception:
        log.warning("Could not tell the user about the failure of update %s", update.update_id)
