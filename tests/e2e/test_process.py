import asyncio
import os
import signal
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from emulator import BotApiEmulator
from tests.conftest import eventually
from tests.e2e.bot_process import BASE_ENV, ROOT, BotProcess
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import saved_name, seed_bookings, until_saved


async def run_main(env: dict[str, str], cwd: Path) -> tuple[int, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_", "DB_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "main.py"),
        cwd=cwd,
        env={**clean, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, stderr.decode()


async def test_process_missing_token_fails_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in BASE_ENV.items() if k != "BOT_TOKEN"}
    code, stderr = await run_main(env, tmp_path)
    assert code == 2
    assert stderr.strip().splitlines() == [
        "Configuration error: BOT_TOKEN is not set: put the token from @BotFather in .env or the environment"
    ]


async def test_process_invalid_setting_names_variable_and_value(tmp_path: Path) -> None:
    code, stderr = await run_main({**BASE_ENV, "REMINDERS": "soon"}, tmp_path)
    assert code == 2
    assert len(stderr.strip().splitlines()) == 1
    assert "REMINDERS='soon' is invalid" in stderr


async def test_process_unreachable_database_fails_in_one_line(tmp_path: Path) -> None:
    env = {**BASE_ENV, "DATABASE_URL": "postgresql://bot:secret@127.0.0.1:1/bot"}
    code, stderr = await run_main(env, tmp_path)
    assert code == 1
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(
        "Database error: cannot reach the database at postgresql+asyncpg://bot:***@127.0.0.1:1/bot"
    )
    assert "secret" not in stderr


async def test_process_unreachable_redis_fails_in_one_line(tmp_path: Path) -> None:
    env = {**BASE_ENV, "REDIS_URL": "redis://:secret@127.0.0.1:1/0"}
    code, stderr = await run_main(env, tmp_path)
    assert code == 1
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("Redis error: cannot reach Redis at redis://:***@127.0.0.1:1/0")
    assert "secret" not in stderr


async def test_process_creates_the_sqlite_folder_and_default_service(stub: BotApiEmulator, tmp_path: Path) -> None:
    bot = BotProcess(stub, tmp_path, {"DATABASE_URL": "sqlite+aiosqlite:///nested/dir/bot.db"})
    try:
        await bot.start()
        assert (tmp_path / "nested" / "dir" / "bot.db").exists()
    finally:
        await bot.kill()


async def test_process_sigterm_shuts_down_cleanly_and_keeps_pending_updates(
    stub: BotApiEmulator, bot_factory: BotFactory
) -> None:
    early = stub.user(3001, "Early bird")
    early.send("/start")  # queued while the bot is down: must not be dropped at startup
    bot = bot_factory()
    await bot.start()
    await early.wait_message("Hello, Early bird")
    assert await bot.terminate() == 0
    log = bot.log_path.read_text()
    assert "Stopped taking updates; shutting down" in log
    assert "Stopped" in log
    assert "Traceback" not in log


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_process_restart_keeps_working(stub: BotApiEmulator, bot_factory: BotFactory) -> None:
    bot = bot_factory()
    await bot.start()
    assert await bot.terminate() == 0
    await bot.start()
    client = stub.user(3002, "Again")
    client.send("/help")
    await client.wait_message("How it works")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_process_two_pollers_on_one_token_get_409_and_keep_running(
    stub: BotApiEmulator, bot_factory: BotFactory
) -> None:
    first, second = bot_factory(), bot_factory()
    await first.start()
    await second.start()
    await stub.wait_for(lambda: stub.conflicts >= 3, timeout=30, what="409 Conflict answers")
    client = stub.user(3003, "Still served")
    client.send("/help")
    await client.wait_message("How it works")
    assert first.process is not None
    assert second.process is not None
    assert first.process.returncode is None, "a 409 does not crash the bot"
    assert second.process.returncode is None
    logs = first.logs() + second.logs()
    assert "Conflict: terminated by other getUpdates request" in logs


@contextmanager
def write_lock_held_elsewhere(sqlite_url: str) -> Iterator[None]:
    """Another writer (a backup, a long import) holding SQLite's write lock meanwhile."""
    writer = sqlite3.connect(str(make_url(sqlite_url).database), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        writer.rollback()
        writer.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_process_sqlite_browsing_is_served_while_a_writer_holds_the_database(
    stub: BotApiEmulator, bot_factory: BotFactory, database_url: str
) -> None:
    bot = bot_factory()
    await bot.start()
    client = stub.user(1030, "Browser")
    client.send("/start")
    await client.wait_message("Hello")
    await until_saved(stub, database_url, client)

    with write_lock_held_elsewhere(database_url):  # the bot's writes would wait for it
        client.send("/book")
        flow = await client.wait_message("Choose a day", timeout=5)
        client.click(flow, flow.buttons()[1]["text"])
        await stub.wait_for(lambda: "Choose a time" in flow.text, timeout=5, what="the times, read without waiting")
    client.click(flow, flow.buttons()[0]["text"])
    await stub.wait_for(lambda: "Confirm?" in flow.text, what="the summary")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_process_sqlite_new_client_is_answered_while_a_writer_holds_the_database(
    stub: BotApiEmulator, bot_factory: BotFactory, database_url: str
) -> None:
    bot = bot_factory()
    await bot.start()
    client = stub.user(1031, "Newcomer")

    with write_lock_held_elsewhere(database_url):
        client.send("/start")
        # Saving a new client is a write; it waits until after the answer, not before it.
        await client.wait_message("Hello, Newcomer", timeout=5)
        assert saved_name(database_url, client.id) is None

    await stub.wait_for(lambda: saved_name(database_url, client.id) == "Newcomer", what="the newcomer saved after all")
    client.send("/book")
    await client.wait_message("Choose a day")
    assert "Traceback" not in bot.logs()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_process_sqlite_serves_updates_while_its_memory_store_is_rebuilt(
    stub: BotApiEmulator, bot_factory: BotFactory, database_url: str
) -> None:
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    await seed_bookings(database_url, {10_000 + n: tomorrow + n * timedelta(seconds=20) for n in range(30_000)})
    bot = bot_factory()
    await bot.start()
    client = stub.user(1032, "Early")
    client.send("/help")
    await client.wait_message("How it works")
    assert "Reconciled" not in bot.logs(), "answered before the jobs of 30 000 bookings were rebuilt"
    await stub.wait_for(lambda: "Reconciled" in bot.logs(), timeout=60, what="the memory store rebuilt")
    assert "with 30000 bookings: 0 kept, 90000 added" in bot.logs()


async def test_process_token_rejected_by_telegram_fails_in_one_line(stub: BotApiEmulator, tmp_path: Path) -> None:
    other_token = "987654321:AAHsomeoneElsesTokenThatTelegramRefuses"
    env = {**BASE_ENV, "BOT_TOKEN": other_token, "TELEGRAM_API_URL": stub.url}
    code, stderr = await run_main(env, tmp_path)
    assert code == 2
    assert stderr.strip().splitlines() == [
        "Configuration error: BOT_TOKEN was rejected by Telegram (401 Unauthorized): check it with @BotFather"
    ]
    assert other_token not in stderr


async def test_process_waits_for_telegram_at_startup_and_comes_up_by_itself(
    stub: BotApiEmulator, bot_factory: BotFactory
) -> None:
    await stub.go_offline()
    bot = bot_factory()
    await bot.start(wait_polling=False)
    await eventually(lambda: bot.logs().count("Telegram is unreachable at") >= 2, what="two tries", timeout=20)
    assert "Traceback" not in bot.logs()
    assert bot.process is not None
    assert bot.process.returncode is None, "it waits instead of exiting"
    await stub.come_back()
    await stub.wait_for(lambda: stub.calls.get("getUpdates", 0) > 0, timeout=30, what="polling once Telegram is back")
    client = stub.user(9100, "Client")
    client.send("/start")
    await client.wait_message("Hello")
    assert await bot.terminate() == 0


async def test_process_stops_promptly_on_sigterm_while_telegram_is_unreachable(
    stub: BotApiEmulator, bot_factory: BotFactory
) -> None:
    await stub.go_offline()
    bot = bot_factory()
    await bot.start(wait_polling=False)
    await eventually(lambda: "Telegram is unreachable at" in bot.logs(), what="the first try", timeout=20)
    assert bot.process is not None
    bot.process.send_signal(signal.SIGTERM)
    assert await bot.wait_exit(timeout=5) == 0
    assert "Traceback" not in bot.logs()


async def test_process_builds_the_chart_font_cache_in_the_background(
    stub: BotApiEmulator, bot_factory: BotFactory, tmp_path: Path
) -> None:
    cache = tmp_path / "matplotlib"  # as in a new container: no font cache yet
    bot = bot_factory(MPLCONFIGDIR=str(cache))
    await bot.start()
    await eventually(
        lambda: any(cache.glob("fontlist-*.json")), what="the font cache, with no /stats asked", timeout=60
    )
    assert "Building the font cache for /stats charts in the background" in bot.logs()
    client = stub.user(9100, "Client")
    client.send("/start")
    await client.wait_message("Hello")
