from bot.lazy_types import import_aiogram

import_aiogram()  # as main.py does: the code under test sees aiogram as the bot does

import asyncio
import inspect
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from config import Settings
from emulator import TOKEN, BotApiEmulator
from tests.postgres_server import PostgresServer, admin_dsn, find_bin_dir, fresh_postgres_database

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
T = TypeVar("T")


async def eventually(
    probe: Callable[[], T | Awaitable[T | None] | None], *, timeout: float = 15, what: str = "a condition"
) -> T:
    """Poll `probe` (a function, or a coroutine function) until it returns something truthy; fail after
    `timeout` seconds, naming `what`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = probe()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result  # type: ignore[return-value]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


@pytest.fixture(scope="session")
def postgres_admin() -> str:
    """PostgreSQL is required under CI; on a laptop without it, its tests skip and say why."""
    try:
        psycopg2.connect(admin_dsn(TEST_DATABASE_URL), connect_timeout=3).close()
    except psycopg2.OperationalError as error:
        reason = f"PostgreSQL unreachable at {make_url(TEST_DATABASE_URL).render_as_string()}: {error}".strip()
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run)", pytrace=False)
        pytest.skip(reason)
    return admin_dsn(TEST_DATABASE_URL)


@pytest.fixture
def postgres_server() -> Iterator[PostgresServer]:
    """A private PostgreSQL server that a test may stop and start; the shared one is never restarted."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        reason = "PostgreSQL server programs (initdb, pg_ctl) not found"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run)", pytrace=False)
        pytest.skip(reason)
    server = PostgresServer(bin_dir)
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """Redis is on CI machines too; on a laptop without it, its tests skip and say why."""
    import redis

    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        reason = f"Redis unreachable at {TEST_REDIS_URL}: {error}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI=true: Redis tests must run)", pytrace=False)
        pytest.skip(reason)
    return TEST_REDIS_URL


@pytest.fixture
def postgres_url(postgres_admin: str) -> Iterator[str]:
    with fresh_postgres_database(postgres_admin, TEST_DATABASE_URL) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """SQLite and the shared PostgreSQL; `restartable` (by indirect parametrization) is a private server."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    if request.param == "restartable":
        return str(request.getfixturevalue("postgres_server").url)
    return str(request.getfixturevalue("postgres_url"))


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "bot_token": TOKEN,
        "database_url": database_url,
        "work_days": "1-7",
        "work_start": "00:00",
        "work_end": "23:59",
        "booking_min_lead": "0s",
        "default_language": "en",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
async def stub() -> AsyncIterator[BotApiEmulator]:
    server = BotApiEmulator()
    await server.start()
    yield server
    await server.stop()
