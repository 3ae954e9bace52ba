from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend.

    SQLite has no time zone type: values are stored as naive UTC text (which also keeps
    lexicographic order equal to time order, what the overlap trigger relies on).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime reached the database: {value!r}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        # SQLite's text, read straight into an aware datetime: a tenth of the general path's cost, which counts
        # when a day list reads thousands of bookings.
        return _utc_from_sqlite_text

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _utc_from_sqlite_text(value: str | None) -> datetime | None:
    if value is None:
        return None
    return (
        datetime.fromisoformat(value).replace(tzinfo=UTC) if "+" in value else datetime.fromisoformat(value + "+00:00")
    )
