"""Faults the running bot survives: its database restarted, Telegram failing or unreachable.

Each scenario starts the bot with a booking a minute ahead and breaks something across a reminder's
time; the reminder must arrive late rather than never, and exactly once.
"""

import asyncio
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from emulator import BotApiEmulator, EmulatedUser
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import seed_bookings
from tests.e2e.test_reminders import wait_until
from tests.ports import free_port
from tests.postgres_server import PostgresServer

UNAVAILABLE = "temporarily unavailable"


def reminder_times(client: EmulatedUser) -> list[float]:
    return [m.sent_at for m in client.messages() if "Reminder" in m.text]


async def readiness(port: int) -> tuple[int, dict[str, object]]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/readyz") as response:
        return response.status, await response.json()


@pytest.mark.timeout(240)
@pytest.mark.parametrize("database_url", ["restartable"], indirect=True)
async def test_faults_postgres_restart_while_running_loses_and_doubles_nothing(
    stub: BotApiEmulator, bot_factory: BotFactory, database_url: str, postgres_server: PostgresServer
) -> None:
    client = stub.user(4101, "Patient")
    start = datetime.now(UTC) + timedelta(seconds=50)
    await seed_bookings(database_url, {client.id: start})
    port = free_port()
    bot = bot_factory(REMINDERS="30s,10s", FEEDBACK_AFTER="1d", WEB_HOST="127.0.0.1", WEB_PORT=str(port))
    await bot.start()
    first_due, second_due = start - timedelta(seconds=30), start - timedelta(seconds=10)

    await wait_until(first_due - timedelta(seconds=5))
    await asyncio.to_thread(postgres_server.stop)
    seen = len(client.messages())
    client.send("/my")
    await client.wait_message(UNAVAILABLE, after=seen)
    status, body = await readiness(port)
    assert status == 503, body
    assert body["database"]["ok"] is False  # type: ignore[index]

    await wait_until(first_due + timedelta(seconds=2))  # the first reminder falls due while it is down
    assert reminder_times(client) == []
    await asyncio.to_thread(postgres_server.start)

    late = await stub.wait_for(lambda: reminder_times(client), timeout=20, what="the reminder that fell due")
    print(f"reminder due during the outage arrived {late[0] - first_due.timestamp():.1f}s late")
    seen = len(client.messages())
    client.send("/my")
    await client.wait_message("Your upcoming bookings", after=seen)
    assert (await readiness(port))[0] == 200

    await stub.wait_for(lambda: len(reminder_times(client)) >= 2, timeout=30, what="the second reminder")
    assert reminder_times(client)[1] - second_due.timestamp() < 3, "the next reminder is on time again"
    await wait_until(start + timedelta(seconds=1))
    assert len(reminder_times(client)) == 2, "each reminder exactly once"
    assert "Traceback" not in bot.log_path.read_text()


@pytest.mark.timeout(240)
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_faults_telegram_failing_then_unreachable_delays_reminders_without_losing_them(
    stub: BotApiEmulator, bot_factory: BotFactory, database_url: str
) -> None:
    client = stub.user(4201, "Patient")
    # The reminder's attempts fail for about 7 s, then it is retried 30 s later: still before the start.
    start = datetime.now(UTC) + timedelta(seconds=70)
    due = start - timedelta(seconds=45)
    await seed_bookings(database_url, {client.id: start})
    bot = bot_factory(REMINDERS="45s", FEEDBACK_AFTER="1d")
    await bot.start()

    # Telegram answers 502 to everything from shortly before the reminder, then cannot be reached at all.
    await wait_until(due - timedelta(seconds=3))
    polls = stub.calls["getUpdates"]
    stub.outage = 502
    await stub.wait_for(lambda: stub.calls["getUpdates"] > polls + 1, what="a poll answered 502")
    seen = len(client.messages())
    client.send("/help")  # queued at Telegram until the bot can fetch it again
    await wait_until(due + timedelta(seconds=4))
    await stub.go_offline()
    await wait_until(due + timedelta(seconds=10))
    stub.outage = None
    await stub.come_back()

    await client.wait_message("How it works", after=seen, timeout=20)
    arrived = await stub.wait_for(lambda: reminder_times(client), timeout=45, what="the delayed reminder")
    print(f"reminder due during the Telegram outage arrived {arrived[0] - due.timestamp():.1f}s late")
    await wait_until(start + timedelta(seconds=1))
    assert len(reminder_times(client)) == 1, "late, not lost, and not doubled"
    log = bot.log_path.read_text()
    assert "Failed to fetch updates" in log, "polling backed off"
    assert "Connection established" in log, "and resumed"
    assert bot.process is not None
    assert bot.process.returncode is None
