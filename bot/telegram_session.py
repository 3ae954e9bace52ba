import asyncio
import logging

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

from services import metrics

log = logging.getLogger(__name__)


class FloodWait(BaseRequestMiddleware):
    """Every Bot API call — replies, edits, callback answers — waits out a short flood limit and retries.

    It also counts Telegram's errors by kind for /metrics.

    Longer waits are left to the caller (delivery of reminders and broadcasts has its own policy).
    """

    def __init__(self, max_wait: float = 10, max_retries: int = 3) -> None:
        self.max_wait = max_wait
        self.max_retries = max_retries

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        for attempt in range(self.max_retries + 1):
            try:
                return await make_request(bot, method)
            except TelegramAPIError as error:
                metrics.TELEGRAM_ERRORS.labels(kind=type(error).__name__).inc()
                if not isinstance(error, TelegramRetryAfter):
                    raise
                if attempt == self.max_retries or error.retry_after > self.max_wait:
                    raise
                log.info("Flood limit on %s: retrying in %ss", type(method).__name__, error.retry_after)
                await asyncio.sleep(error.retry_after)
        raise AssertionError("unreachable")
