from collections.abc import AsyncIterator, Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from emulator import BotApiEmulator
from tests.conftest import TEST_DATABASE_URL
from tests.e2e.bot_process import BotProcess
from tests.postgres_server import fresh_postgres_database

BotFactory = Callable[..., BotProcess]


@pytest.fixture
async def bot_factory(stub: BotApiEmulator, database_url: str, tmp_path: Path) -> AsyncIterator[BotFactory]:
    """Bot processes on this test's own database; killed at the end, their logs printed on failure."""
    processes: list[BotProcess] = []

    def make(**env: str) -> BotProcess:
        process = BotProcess(stub, tmp_path, {"DATABASE_URL": database_url, **env})
        processes.append(process)
        return process

    yield make
    for process in processes:
        await process.kill()
    if stub.errors:
        print("Bot API errors:", stub.errors)
    for process in processes:
        print(process.logs())


@dataclass
class SharedBot:
    stub: BotApiEmulator
    process: BotProcess


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["sqlite", "postgresql"])
async def shared_bot(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[SharedBot]:
    """One bot process per database for a module of tests that each play different users."""
    workdir = tmp_path_factory.mktemp("bot")
    with ExitStack() as cleanup:
        if request.param == "sqlite":
            url = f"sqlite+aiosqlite:///{workdir / 'bot.db'}"
        else:
            admin = request.getfixturevalue("postgres_admin")
            url = cleanup.enter_context(fresh_postgres_database(admin, TEST_DATABASE_URL))
        stub = BotApiEmulator()
        await stub.start()
        process = BotProcess(stub, workdir, {"DATABASE_URL": url})
        try:
            await process.start()
            yield SharedBot(stub, process)
        finally:
            await process.kill()
            await stub.stop()
            print(process.logs())
