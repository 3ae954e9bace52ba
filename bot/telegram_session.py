import asyncio
import contextlib
import logging
from http import HTTPStatus
from typing import Any, cast

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import GetMe, GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InlineKeyboardMarkup, Message, ReplyKeyboardMarkup, User

from bot.middlewares import CommitBeforeTelegram
from services import metrics

log = logging.getLogger(__name__)

TRANSIENT_BACKOFF_SECONDS = (1, 2, 4)
STARTUP_BACKOFF_SECONDS = (1, 2, 4, 8, 15, 30)  # then every 30 s
# Telegram answers in well under a second; a hung request must end long before a claim expires.
REQUEST_TIMEOUT_SECONDS = 20


def create_bot(token: str, api_url: str | None = None) -> Bot:
    """The bot as every part of the product uses it: HTML texts, bounded requests, retried hiccups,
    and no database transaction held open while Telegram answers."""
    api = TelegramAPIServer.from_base(api_url) if api_url else PRODUCTION
    session = BotSession(api=api, timeout=REQUEST_TIMEOUT_SECONDS)
    session.middleware(CommitBeforeTelegram())
    session.middleware(KeepResponseModels())
    session.middleware(TelegramRetries())
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


class BotSession(AiohttpSession):
    """aiogram's session without two costs that grow with a keyboard, both above a booking step's own work for a
    day of times: serialising the keyboard value by value, and reading back the keyboard Telegram echoes in the
    message it returns (parsed into a model per button)."""

    def prepare_value(self, value: Any, bot: Bot, files: dict[str, Any], _dumps_json: bool = True) -> Any:
        if isinstance(value, InlineKeyboardMarkup | ReplyKeyboardMarkup):
            # Strings, numbers, booleans and nested models only: what aiogram would send, in one call.
            if _dumps_json:
                return value.model_dump_json(exclude_none=True)
            return value.model_dump(mode="json", exclude_none=True)
        return super().prepare_value(value, bot=bot, files=files, _dumps_json=_dumps_json)

    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        sent = getattr(method, "reply_markup", None)
        if isinstance(sent, InlineKeyboardMarkup) and HTTPStatus.OK <= status_code <= HTTPStatus.IM_USED:
            with contextlib.suppress(Exception):  # anything unexpected: aiogram's own reading, and its errors
                answer = self.json_loads(content)
                result = answer["result"]
                if answer["ok"] is True and isinstance(result, dict) and isinstance(result.pop("reply_markup"), dict):
                    response = Response[method.__returning__].model_validate(answer, context={"bot": bot})  # type: ignore[misc]
                    message = cast(Message, response.result).model_copy(update={"reply_markup": sent})
                    return response.model_copy(update={"result": message})
        return super().check_response(bot=bot, method=method, status_code=status_code, content=content)


class KeepResponseModels(BaseRequestMiddleware):
    """Keeps alive the pydantic class aiogram builds to read each kind of Bot API answer (`Response[Message]`...).

    pydantic caches parametrised generic models only weakly, so once the garbage collector drops such a class,
    the next answer of that kind rebuilds it, at a cost far above the call's own (bench/README.md).
    """

    def __init__(self) -> None:
        self._kept: dict[object, type] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in self._kept:
            self._kept[returning] = Response[returning]  # type: ignore[valid-type]
        return await make_request(bot, method)


class TelegramRetries(BaseRequestMiddleware):
    """Every Bot API call — replies, edits, callback answers, reminders — rides out a short hiccup.

    A flood limit of up to `max_flood_wait` seconds is waited out; a 5xx or a failed connection is
    retried after 1, 2 and 4 seconds. Longer trouble is left to the caller: delivery of reminders and
    broadcasts has its own policy, and polling (getUpdates) backs off in aiogram's own loop.
    It also counts Telegram's errors by kind for /metrics.
    """

    def __init__(self, max_flood_wait: float = 10, max_flood_retries: int = 3) -> None:
        self.max_flood_wait = max_flood_wait
        self.max_flood_retries = max_flood_retries

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        flood_retries = transient_retries = 0
        while True:
            try:
                return await make_request(bot, method)
            except TelegramAPIError as error:
                metrics.TELEGRAM_ERRORS.labels(kind=type(error).__name__).inc()
                if isinstance(error, TelegramRetryAfter):
                    if flood_retries == self.max_flood_retries or error.retry_after > self.max_flood_wait:
                        raise
                    flood_retries += 1
                    delay: float = error.retry_after
                elif isinstance(error, TelegramServerError | TelegramNetworkError):
                    # Polling and the startup check (reach_telegram) have their own backoff.
                    if isinstance(method, GetUpdates | GetMe) or transient_retries == len(TRANSIENT_BACKOFF_SECONDS):
                        raise
                    delay = TRANSIENT_BACKOFF_SECONDS[transient_retries]
                    transient_retries += 1
                else:
                    raise
                log.info("%s on %s: retrying in %ss", type(error).__name__, type(method).__name__, delay)
                await asyncio.sleep(delay)


class TelegramRefused(Exception):
    """Telegram will never accept this bot as configured: a rejected token, or no Bot API at the URL."""


async def reach_telegram(bot: Bot, stop: asyncio.Event) -> User | None:
    """The bot's own user, once Telegram answers; None if `stop` is set first.

    Telegram being unreachable (a network blip at startup) is waited out with backoff, a line in the log each
    try; a token Telegram rejects is final.
    """
    api = bot.session.api.base.removesuffix("/bot{token}/{method}")
    attempt = 0
    while True:
        asking = asyncio.ensure_future(bot.get_me())
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({asking, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if stop.is_set():
            asking.cancel()
            return None
        stopping.cancel()
        try:
            return asking.result()
        except TelegramUnauthorizedError:
            raise TelegramRefused(
                "BOT_TOKEN was rejected by Telegram (401 Unauthorized): check it with @BotFather"
            ) from None
        except TelegramNotFound:
            raise TelegramRefused(f"no Bot API at {api} (404 Not Found): check TELEGRAM_API_URL") from None
        except (TelegramNetworkError, TelegramServerError, TelegramRetryAfter) as error:
            delay = STARTUP_BACKOFF_SECONDS[min(attempt, len(STARTUP_BACKOFF_SECONDS) - 1)]
            attempt += 1
            log.warning("Telegram is unreachable at %s (%s): trying again in %d s", api, error, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
