"""Database URLs as the bot takes them: any PostgreSQL or SQLite URL, used with the async drivers."""

from sqlalchemy.engine import make_url


def async_url(value: str) -> str:
    """`postgresql://`, `postgres://` or `postgresql+asyncpg://` → asyncpg; `sqlite://…` → aiosqlite."""
    value = value.strip()
    try:
        url = make_url(value)
    except Exception:
        raise ValueError("not a database URL") from None
    backend = url.get_backend_name()
    if backend in ("postgres", "postgresql"):
        return url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    if backend == "sqlite":
        return url.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    raise ValueError("only sqlite and postgresql databases are supported")
