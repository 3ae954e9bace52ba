import asyncio
import os

from alembic import context
from sqlalchemy import Connection

from database.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_on(database_url: str) -> None:
    from database.engine import create_engine
    from database.urls import async_url

    engine = create_engine(async_url(database_url))
    async with engine.begin() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)  # the bot migrates at startup (database.migrate)
else:
    # From the command line: `alembic -x url=sqlite+aiosqlite:///data/bot.db upgrade head`, or DATABASE_URL.
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("Give the database: alembic -x url=... or DATABASE_URL (an async driver's URL)")
    asyncio.run(_run_on(url))
