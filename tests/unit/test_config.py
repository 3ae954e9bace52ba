from datetime import time, timedelta
from pathlib import Path
from typing import Any

import pytest

from config import ConfigError, load_settings
from emulator import TOKEN


def settings(**values: Any):  # type: ignore[no-untyped-def]
    return load_settings(_env_file=None, **{"bot_token": TOKEN, **values})


def test_config_defaults_match_the_documented_table() -> None:
    s = settings()
    assert s.database_url == "sqlite+aiosqlite:///data/bot.db"
    assert s.db_kind == "sqlite"
    assert str(s.timezone) == "UTC"
    assert s.work_days == {1, 2, 3, 4, 5}
    assert (s.work_start, s.work_end) == (time(9), time(18))
    assert s.slot_minutes == 60
    assert s.booking_days_ahead == 14
    assert s.booking_min_lead == timedelta(hours=1)
    assert s.max_active_bookings == 3
    assert s.cancel_cutoff == timedelta(hours=2)
    assert s.reminders == (timedelta(hours=24), timedelta(hours=2))
    assert s.feedback_after == timedelta(hours=2)
    assert s.sweep_24h_at == time(10)
    assert s.default_language == "ru"
    assert s.admin_ids == frozenset()
    assert s.claim_timeout == timedelta(minutes=2)
    assert s.question_timeout == timedelta(minutes=15)


def test_config_reads_env_and_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"BOT_TOKEN={TOKEN}\nADMIN_IDS=1, 22\nTIMEZONE=Europe/Moscow\nREMINDERS=2h,24h,30m\n")
    monkeypatch.setenv("WORK_DAYS", "1-3,6")
    s = load_settings(_env_file=env_file)
    assert s.admin_ids == {1, 22}
    assert str(s.timezone) == "Europe/Moscow"
    assert s.reminders == (timedelta(hours=24), timedelta(hours=2), timedelta(minutes=30))
    assert s.work_days == {1, 2, 3, 6}


@pytest.mark.parametrize(
    ("url", "normalised", "jobstore"),
    [
        (
            "postgresql://u:p@db:5432/bot",
            "postgresql+asyncpg://u:p@db:5432/bot",
            "postgresql+psycopg2://u:p@db:5432/bot",
        ),
        ("postgres://u@db/bot", "postgresql+asyncpg://u@db/bot", "postgresql+psycopg2://u@db/bot"),
        ("postgresql+asyncpg://u@db/bot", "postgresql+asyncpg://u@db/bot", "postgresql+psycopg2://u@db/bot"),
    ],
)
def test_config_normalises_postgres_urls(url: str, normalised: str, jobstore: str) -> None:
    s = settings(database_url=url)
    assert (s.database_url, s.jobstore_url, s.db_kind) == (normalised, jobstore, "postgresql")


def test_config_normalises_sqlite_urls() -> None:
    s = settings(database_url="sqlite:///data/x.db")
    assert s.database_url == "sqlite+aiosqlite:///data/x.db"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"bot_token": None}, "BOT_TOKEN is not set"),
        ({"bot_token": "nonsense"}, "BOT_TOKEN is invalid"),
        ({"timezone": "Mars/Olympus"}, "TIMEZONE='Mars/Olympus' is invalid"),
        ({"work_days": "1-9"}, "WORK_DAYS='1-9' is invalid"),
        ({"work_start": "25:00"}, "WORK_START='25:00' is invalid"),
        ({"work_start": "18:00", "work_end": "09:00"}, "WORK_END (09:00) must be after WORK_START"),
        ({"slot_minutes": "0"}, "SLOT_MINUTES='0' is invalid"),
        ({"reminders": "2h,soon"}, "REMINDERS='2h,soon' is invalid"),
        ({"cancel_cutoff": "two hours"}, "CANCEL_CUTOFF='two hours' is invalid"),
        ({"claim_timeout": "1s"}, "CLAIM_TIMEOUT='1s' is invalid: must be at least 5s"),
        ({"admin_ids": "1,bob"}, "ADMIN_IDS='1,bob' is invalid"),
        ({"database_url": "mysql://u:pw@x/y"}, "DATABASE_URL is invalid: only sqlite and postgresql"),
        ({"db_type": "postgresql"}, "DB_TYPE=postgresql contradicts DATABASE_URL, which is sqlite"),
        ({"default_language": "de"}, "DEFAULT_LANGUAGE='de' is invalid"),
        (
            {"booking_min_lead": "15d", "booking_days_ahead": "14"},
            "BOOKING_MIN_LEAD (15d) must be shorter than BOOKING_DAYS_AHEAD (14 days): no time could ever be booked",
        ),
        ({"booking_min_lead": "1d", "booking_days_ahead": "1"}, "BOOKING_MIN_LEAD (1d) must be shorter"),
        (
            {"slot_minutes": "600", "work_start": "09:00", "work_end": "18:00"},
            "SLOT_MINUTES (600) is longer than the opening hours 09:00-18:00: no appointment would fit in a day",
        ),
        ({"question_timeout": "soon"}, "QUESTION_TIMEOUT='soon' is invalid"),
    ],
)
def test_config_errors_name_the_variable_and_value(values: dict[str, Any], message: str) -> None:
    values = {"bot_token": TOKEN, **values}
    if values["bot_token"] is None:
        del values["bot_token"]
    with pytest.raises(ConfigError) as error:
        load_settings(_env_file=None, **values)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_config_error_never_echoes_the_token() -> None:
    with pytest.raises(ConfigError) as error:
        settings(bot_token="123:secret-but-short")
    assert "secret" not in str(error.value)


def test_config_db_type_matching_the_url_is_accepted() -> None:
    assert settings(database_url="postgresql://db/x", db_type="postgres").db_kind == "postgresql"


def test_config_webhook_needs_a_secret_and_opens_the_http_port() -> None:
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET must be set with WEBHOOK_URL"):
        settings(webhook_url="https://bot.example.com/tg")
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET is invalid") as error:
        settings(webhook_url="https://bot.example.com/tg", webhook_secret="has spaces!")
    assert "spaces" not in str(error.value), "secrets are never echoed"
    hooked = settings(webhook_url="https://bot.example.com/tg/hook", webhook_secret="s3cret_-X")
    assert hooked.http_port == 8080
    assert hooked.webhook_path == "/tg/hook"
    assert settings().http_port is None, "polling serves no HTTP unless WEB_PORT is set"
    assert settings(web_port="9000").http_port == 9000


def test_config_redis_url_must_be_redis() -> None:
    assert settings(redis_url="redis://127.0.0.1:6379/2").redis_url == "redis://127.0.0.1:6379/2"
    assert settings(redis_url="").redis_url is None
    with pytest.raises(ConfigError, match="REDIS_URL is invalid"):
        settings(redis_url="http://user:pw@nope")


def test_config_calendar_links_come_from_public_url_or_the_webhooks_origin() -> None:
    assert settings().public_origin is None
    assert settings(public_url="https://cal.example.com/").public_origin == "https://cal.example.com"
    hooked = settings(webhook_url="https://bot.example.com/tg/hook", webhook_secret="s")
    assert hooked.public_origin == "https://bot.example.com"
    with pytest.raises(ConfigError, match=r"PUBLIC_URL='bot\.example\.com' is invalid"):
        settings(public_url="bot.example.com")
    assert settings(business_address="  ").business_address is None
    with pytest.raises(ConfigError, match=r"BUSINESS_ADDRESS"):
        settings(business_address="x" * 301)
