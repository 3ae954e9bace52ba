"""Small helpers for answering in place: edit the flow's message, or send anew when that is impossible.

Handlers show a click's result first and answer the callback query after it: the answer only stops the
button's spinner, the result is what the client waits for, and under load every round trip before it
is a wait of its own.
"""

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message


async def show(callback: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    message = callback.message
    if isinstance(message, Message):
        try:
            await message.edit_text(text, reply_markup=markup)
            return
        except TelegramBadRequest as error:
            if "message is not modified" in error.message:
                return
            if "message can't be edited" not in error.message and "message to edit not found" not in error.message:
                raise
    if callback.from_user:
        await callback.bot.send_message(callback.from_user.id, text, reply_markup=markup)  # type: ignore[union-attr]


async def answer(event: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """A command's answer, or the same from a menu button: a new message in the chat (then the spinner stops)."""
    if isinstance(event, Message):
        await event.answer(text, reply_markup=markup)
        return
    await event.bot.send_message(event.from_user.id, text, reply_markup=markup)  # type: ignore[union-attr]
    await event.answer()
