from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from database.engine import create_engine


@asynccontextmanager
async def sqlite_engine_with(tmp_path: Path, table: str) -> AsyncIterator[AsyncEngine]:
    """The bot's SQLite engine on a fresh database holding one table (`table` is its CREATE TABLE)."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/x.db")
    async with engine.begin() as connection:
        await connection.execute(text(table))
    yield engine
    await engine.dispose()
