import asyncio
import enum
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup, Message, MessageId

from services.rate_limit import RateLimiter

log = logging.getLogger(__name__)

MAX_FLOOD_WAIT_SECONDS = 300


class DeliveryStatus(enum.StrEnum):
    SENT = "sent"
    BLOCKED = "blocked"  # the user blocked the bot or deleted their account: stop trying
    REJECTED = "rejected"  # Telegram refused this message (400): retrying would not help
    UNAVAILABLE = "unavailable"  # network or Telegram trouble outlasted our retries: try later


@dataclass(frozen=True, slots=True)
class Delivery:
    status: DeliveryStatus
    message_id: int | None = None
    error: str | None = None


async def deliver(
    bot: Bot,
    chat_id: int,
    text: str,
    reply_markup: InlineKeyboardMarkup | None = None,
    *,
    limiter: RateLimiter | None = None,
    slot_taken: bool = False,
    give_up_after: float | None = None,
) -> Delivery:
    """Send one message, honouring flood limits.

    `slot_taken`: the caller already took this send's first slot from `limiter` (so that it could claim
    the message right before sending, not while queueing for the slot). `give_up_after`: seconds after
    which no further flood wait starts (a claim must not outlive its sender's patience).
    """
    return await _with_retries(
        chat_id,
        lambda: bot.send_message(chat_id, text, reply_markup=reply_markup),
        limiter,
        slot_taken,
        give_up_after,
    )


async def deliver_copy(
    bot: Bot,
    chat_id: int,
    from_chat_id: int,
    message_id: int,
    *,
    limiter: RateLimiter | None = None,
    slot_taken: bool = False,
) -> Delivery:
    """Copy a message (text, or a photo with its caption) to a chat, with the same care."""
    return await _with_retries(
        chat_id, lambda: bot.copy_message(chat_id, from_chat_id, message_id), limiter, slot_taken, None
    )


async def _with_retries(
    chat_id: int,
    send: Callable[[], Awaitable[Message | MessageId]],
    limiter: RateLimiter | None,
    slot_taken: bool,
    give_up_after: float | None,
) -> Delivery:
    flood_waited = 0.0
    started = time.monotonic()

    def out_of_patience(wait: float) -> bool:
        return give_up_after is not None and time.monotonic() + wait - started > give_up_after

    while True:
        if limiter is not None and not slot_taken:
            await limiter.acquire()
        slot_taken = False
        try:
            sent = await send()
            return Delivery(DeliveryStatus.SENT, sent.message_id)
        except TelegramRetryAfter as error:
            if flood_waited + error.retry_after > MAX_FLOOD_WAIT_SECONDS or out_of_patience(error.retry_after):
                return Delivery(DeliveryStatus.UNAVAILABLE, error=str(error))
            log.info("Flood limit for chat %s: waiting %ss", chat_id, error.retry_after)
            flood_waited += error.retry_after
            if limiter is not None:
                limiter.pause(error.retry_after)  # every sender backs off, not only this one
            else:
                await asyncio.sleep(error.retry_after)
        except TelegramForbiddenError as error:
            return Delivery(DeliveryStatus.BLOCKED, error=str(error))
        except TelegramBadRequest as error:
            if "chat not found" in error.message.lower():
                return Delivery(DeliveryStatus.BLOCKED, error=str(error))
            log.error("Telegram rejected a message to chat %s: %s", chat_id, error.message)
            return Delivery(DeliveryStatus.REJECTED, error=str(error))
        except (TelegramNetworkError, TelegramServerError) as error:
            # The Bot session has already retried it (bot.telegram_session): this is an outage, for later.
            log.warning("Giving up on chat %s for now: %s", chat_id, error)
            return Delivery(DeliveryStatus.UNAVAILABLE, error=str(error))
