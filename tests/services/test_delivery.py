"""services.delivery against the Bot API stand-in over HTTP: each of Telegram's answers becomes one outcome."""

import logging
import time

import pytest
from aiogram import Bot

from emulator import BotApiEmulator
from services.delivery import DeliveryStatus, deliver, deliver_copy
from services.rate_limit import RateLimiter


async def test_delivery_sent_blocked_and_rejected(
    stub: BotApiEmulator, bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    sent = await deliver(bot, 1, "Hello <b>there</b>")
    assert sent.status is DeliveryStatus.SENT
    assert sent.message_id == stub.messages_to(1)[0].message_id
    assert stub.messages_to(1)[0].text == "Hello there"

    stub.blocked.add(2)
    assert (await deliver(bot, 2, "Hello")).status is DeliveryStatus.BLOCKED

    with caplog.at_level(logging.ERROR):
        rejected = await deliver(bot, 3, "<b>unclosed")
    assert rejected.status is DeliveryStatus.REJECTED
    assert "can't parse entities" in (rejected.error or "")
    assert "Telegram rejected a message to chat 3" in caplog.text
    assert not stub.messages_to(3)


async def test_delivery_a_short_flood_wait_is_waited_out(stub: BotApiEmulator, bot: Bot) -> None:
    stub.fail("sendMessage", code=429, retry_after=1, chat_id=4)
    started = time.monotonic()
    delivery = await deliver(bot, 4, "After the flood wait", limiter=RateLimiter(per_second=100))
    assert delivery.status is DeliveryStatus.SENT
    assert time.monotonic() - started >= 1, "Telegram's retry_after was waited out"
    assert len(stub.messages_to(4)) == 1


async def test_delivery_flood_wait_past_the_senders_patience_is_for_later(stub: BotApiEmulator, bot: Bot) -> None:
    stub.fail("sendMessage", code=429, retry_after=30, chat_id=5)
    delivery = await deliver(bot, 5, "Later", give_up_after=5)
    assert delivery.status is DeliveryStatus.UNAVAILABLE
    assert not stub.messages_to(5)


async def test_delivery_a_short_server_error_is_retried_by_the_session(stub: BotApiEmulator, bot: Bot) -> None:
    stub.fail("sendMessage", code=502, chat_id=6)
    assert (await deliver(bot, 6, "Despite a 502")).status is DeliveryStatus.SENT
    assert len(stub.messages_to(6)) == 1


async def test_delivery_telegram_unreachable_is_for_later(stub: BotApiEmulator, bot: Bot) -> None:
    await stub.go_offline()
    delivery = await deliver(bot, 7, "Nobody there")  # the session retried after 1, 2 and 4 s first
    assert delivery.status is DeliveryStatus.UNAVAILABLE
    await stub.come_back()


async def test_delivery_copies_a_message(stub: BotApiEmulator, bot: Bot) -> None:
    admin = stub.user(8, "Admin")
    admin.send_photo("Closed on Monday")
    source = next(iter(stub.user_messages))
    assert (await deliver_copy(bot, 9, source[0], source[1])).status is DeliveryStatus.SENT
    assert stub.messages_to(9)[0].copied
    assert stub.messages_to(9)[0].text == "Closed on Monday"
