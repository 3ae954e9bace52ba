import aiohttp

from emulator import SECRET_HEADER, BotApiEmulator
from tests.e2e.conftest import BotFactory
from tests.ports import free_port


async def test_webhook_mode_serves_updates_and_rejects_requests_without_the_secret(
    stub: BotApiEmulator, bot_factory: BotFactory
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    early = stub.user(8101, "Early")
    early.send("/start")  # waiting at Telegram before the webhook is set: must not be dropped
    bot = bot_factory(WEBHOOK_URL=url, WEBHOOK_SECRET="s3cret-token_1", WEB_PORT=str(port), WEB_HOST="127.0.0.1")
    await bot.start(wait_polling=False)
    await early.wait_message("Hello, Early", timeout=30)
    assert stub.webhook == (url, "s3cret-token_1")
    assert stub.calls.get("getUpdates", 0) == 0

    client = stub.user(8102, "Hooked")
    client.send("/help")
    await client.wait_message("How it works")
    update = {
        "update_id": 999,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 1, "type": "private"},
            "from": {"id": 1, "is_bot": False, "first_name": "Forger"},
            "text": "/start",
        },
    }
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=update) as missing:
            assert missing.status == 401
        async with http.post(url, json=update, headers={SECRET_HEADER: "wrong"}) as wrong:
            assert wrong.status == 401
        async with http.get(f"http://127.0.0.1:{port}/healthz") as alive:
            assert alive.status == 200
    assert stub.messages_to(1) == [], "forged updates are not handled"
    assert await bot.terminate() == 0
    assert stub.webhook is not None, "the webhook stays set for the other replicas"
