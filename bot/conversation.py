"""Questions the bot asks and waits for an answer to: a cancellation's reason, a forwarded message, a
broadcast's text, a rating's comment. Every one of them is asked through `ask`, and `PendingQuestions`
decides, before any handler sees an update, whether the question is still open:

- a command (other than the question's own, like /skip) or a menu button abandons it;
- so does a click on any button: the question's own buttons carry what they need in their data;
- it expires `timeout` after it was asked, with no effect;

so text typed later never lands in a question the user has walked away from.
"""

import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from datetime import timedelta
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import Message, TelegramObject

from bot.texts import Lang, t

ASKED_AT = "asked_at"


async def ask(state: FSMContext, question: State, **data: Any) -> None:
    """Wait for the user's answer to `question`; `data` is what the answer's handler will need."""
    await state.set_state(question)
    await state.set_data({**data, ASKED_AT: time.time()})


class PendingQuestions(BaseMiddleware):
    """Outer middleware of messages and callback queries; see the module's docstring."""

    def __init__(
        self, timeout: timedelta, menu_texts: Collection[str], own_commands: Mapping[str, Collection[str]]
    ) -> None:
        self.timeout = timeout.total_seconds()
        self.menu_texts = frozenset(menu_texts)
        self.own_commands = own_commands

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        question: str | None = data.get("raw_state")
        if question is None:
            return await handler(event, data)
        state: FSMContext = data["state"]
        asked_at = (await state.get_data()).get(ASKED_AT)
        expired = not isinstance(asked_at, int | float) or time.time() - asked_at > self.timeout
        if expired or not isinstance(event, Message) or self._leaves(event, question):
            await state.clear()
            data["raw_state"] = None
            if expired and isinstance(event, Message) and not self._leaves(event, question):
                lang: Lang = data["lang"]
                await event.answer(t(lang, "question_expired"))
                return None
        return await handler(event, data)

    def _leaves(self, message: Message, question: str) -> bool:
        text = message.text or message.caption or ""
        if text in self.menu_texts:
            return True
        if not text.startswith("/"):
            return False
        command = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
        return command not in self.own_commands.get(question, ())
