import re
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

from core.availability import Week, WorkSchedule
from core.durations import format_duration, parse_clock, parse_duration, parse_durations, parse_weekdays
from database.urls import async_url

_TOKEN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{20,}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
DEFAULT_WEBHOOK_PORT = 8080
MIN_CLAIM_TIMEOUT = timedelta(seconds=5)
# Never echoed in errors: they are secrets, or URLs that may carry a password.
_SECRET_BEARING = frozenset({"BOT_TOKEN", "WEBHOOK_SECRET", "DATABASE_URL", "REDIS_URL"})
DbKind = Literal["sqlite", "postgresql"]


class ConfigError(Exception):
    """A configuration problem, worded as one line for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True)

    bot_token: str
    telegram_api_url: str | None = None
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    database_url: str = "sqlite+aiosqlite:///data/bot.db"
    db_type: DbKind | None = None
    timezone: Annotated[ZoneInfo, NoDecode] = ZoneInfo("UTC")
    work_days: Annotated[frozenset[int], NoDecode] = frozenset({1, 2, 3, 4, 5})
    work_start: time = time(9, 0)
    work_end: time = time(18, 0)
    slot_minutes: int = Field(default=60, ge=1, le=24 * 60)
    booking_days_ahead: int = Field(default=14, ge=1, le=366)
    booking_min_lead: timedelta = timedelta(hours=1)
    max_active_bookings: int = Field(default=3, ge=1)
    cancel_cutoff: timedelta = timedelta(hours=2)
    reminders: Annotated[tuple[timedelta, ...], NoDecode] = (timedelta(hours=24), timedelta(hours=2))
    confirm_by: timedelta | None = None
    release_unconfirmed: bool = False
    feedback_after: timedelta = timedelta(hours=2)
    sweep_24h_at: time = time(10, 0)
    claim_timeout: timedelta = timedelta(minutes=2)
    question_timeout: timedelta = timedelta(minutes=15)
    default_language: Literal["ru", "en"] = "ru"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    redis_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    web_host: str = "0.0.0.0"
    web_port: int | None = Field(default=None, ge=1, le=65535)
    business_address: str | None = Field(default=None, max_length=300)
    business_contact: str | None = Field(default=None, max_length=300)
    max_no_shows: int = Field(default=0, ge=0)
    public_url: str | None = None

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: str) -> str:
        value = value.strip()
        if not _TOKEN.match(value):
            raise ValueError("does not look like a bot token from @BotFather (123456:ABC...)")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.strip().startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis:// URL")
        return value.strip()

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.strip().startswith(("https://", "http://")):
            raise ValueError("must be the public https:// URL Telegram should call")
        return value.strip()

    @field_validator("business_address", "business_contact")
    @classmethod
    def _business_address(cls, value: str | None) -> str | None:
        return value.strip() if value and value.strip() else None

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.strip().startswith(("https://", "http://")):
            raise ValueError("must be the https:// address at which the bot's web server is reached")
        return value.strip().rstrip("/")

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not _SECRET.match(value.strip()):
            raise ValueError("use 1-256 characters: letters, digits, _ and -")
        return value.strip()

    @field_validator("web_port", mode="before")
    @classmethod
    def _web_port(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("telegram_api_url")
    @classmethod
    def _api_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admin_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not all(part.isdigit() for part in parts):
                raise ValueError("must be comma-separated numeric Telegram user ids")
            return frozenset(int(part) for part in parts)
        return value

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str) -> str:
        return async_url(value)

    @field_validator("db_type", mode="before")
    @classmethod
    def _db_type(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().lower()
            return {"postgres": "postgresql", "": None}.get(value, value)
        return value

    @field_validator("timezone", mode="before")
    @classmethod
    def _timezone(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return ZoneInfo(value.strip())
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError("unknown IANA time zone (e.g. Europe/Moscow)") from None
        return value

    @field_validator("work_days", mode="before")
    @classmethod
    def _work_days(cls, value: Any) -> Any:
        return parse_weekdays(value) if isinstance(value, str) else value

    @field_validator("work_start", "work_end", "sweep_24h_at", mode="before")
    @classmethod
    def _clock(cls, value: Any) -> Any:
        return parse_clock(value) if isinstance(value, str) else value

    @field_validator(
        "booking_min_lead", "cancel_cutoff", "feedback_after", "claim_timeout", "question_timeout", mode="before"
    )
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return parse_duration(value) if isinstance(value, str) else value

    @field_validator("confirm_by", mode="before")
    @classmethod
    def _confirm_by(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = parse_duration(value) if value.strip() else None
        if value is not None and value < timedelta(0):
            raise ValueError("must be a duration before the start (e.g. 3h); empty or 0 for none")
        return value or None

    @field_validator("claim_timeout")
    @classmethod
    def _claim_timeout(cls, value: timedelta) -> timedelta:
        if value < MIN_CLAIM_TIMEOUT:
            raise ValueError(f"must be at least {MIN_CLAIM_TIMEOUT.seconds}s")
        return value

    @field_validator("reminders", mode="before")
    @classmethod
    def _reminders(cls, value: Any) -> Any:
        if isinstance(value, str):
            offsets = parse_durations(value)
            if any(offset <= timedelta(0) for offset in offsets):
                raise ValueError("reminder offsets must be positive")
            return tuple(sorted(set(offsets), reverse=True))
        return value

    @field_validator("default_language", "log_level", mode="before")
    @classmethod
    def _fold_case(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _consistent(self) -> "Settings":
        if self.work_end <= self.work_start:
            raise ValueError(f"WORK_END ({self.work_end:%H:%M}) must be after WORK_START")
        # Settings with which no client could ever book anything.
        if self.booking_min_lead >= timedelta(days=self.booking_days_ahead):
            raise ValueError(
                f"BOOKING_MIN_LEAD ({format_duration(self.booking_min_lead)}) must be shorter than "
                f"BOOKING_DAYS_AHEAD ({self.booking_days_ahead} days): no time could ever be booked"
            )
        opening = datetime.combine(date.min, self.work_end) - datetime.combine(date.min, self.work_start)
        if self.slot_step > opening:
            raise ValueError(
                f"SLOT_MINUTES ({self.slot_minutes}) is longer than the opening hours "
                f"{self.work_start:%H:%M}-{self.work_end:%H:%M}: no appointment would fit in a day"
            )
        if self.release_unconfirmed and self.confirm_by is None:
            raise ValueError("RELEASE_UNCONFIRMED=true needs CONFIRM_BY: when unconfirmed bookings are released")
        if self.webhook_url is not None and self.webhook_secret is None:
            raise ValueError("WEBHOOK_SECRET must be set with WEBHOOK_URL: it authenticates Telegram's requests")
        if self.db_type is not None and self.db_type != self.db_kind:
            raise ValueError(f"DB_TYPE={self.db_type} contradicts DATABASE_URL, which is {self.db_kind}")
        return self

    @property
    def http_port(self) -> int | None:
        """The HTTP server's port: WEB_PORT, or 8080 in webhook mode, or none when polling."""
        if self.web_port is not None:
            return self.web_port
        return DEFAULT_WEBHOOK_PORT if self.webhook_url else None

    @property
    def public_origin(self) -> str | None:
        """Where the bot's web server is reached from outside (calendar feeds): PUBLIC_URL, or WEBHOOK_URL's origin."""
        if self.public_url is not None:
            return self.public_url
        if self.webhook_url is None:
            return None
        parts = urlsplit(self.webhook_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def webhook_path(self) -> str:
        return urlsplit(self.webhook_url or "").path or "/"

    @property
    def db_kind(self) -> DbKind:
        return "postgresql" if self.database_url.startswith("postgresql") else "sqlite"

    @property
    def reminder_horizon(self) -> timedelta:
        """How long before a start the earliest planned message (a reminder or the confirmation deadline) is due."""
        return max((*self.reminders, *filter(None, [self.confirm_by])), default=timedelta(0))

    @property
    def slot_step(self) -> timedelta:
        return timedelta(minutes=self.slot_minutes)

    @cached_property
    def schedule(self) -> WorkSchedule:
        """The booking rules and the default week (WORK_*); built once, as the settings never change."""
        return WorkSchedule(
            tz=self.timezone,
            week=Week.uniform(self.work_days, self.work_start, self.work_end),
            slot_step=self.slot_step,
            days_ahead=self.booking_days_ahead,
            min_lead=self.booking_min_lead,
        )

    @property
    def jobstore_url(self) -> str:
        """The synchronous (psycopg2) URL of the same database, for APScheduler's job store."""
        return make_url(self.database_url).set(drivername="postgresql+psycopg2").render_as_string(hide_password=False)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and `.env`, or a ConfigError that names the culprit."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise ConfigError(_describe(error)) from None


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        name = str(item["loc"][0]).upper() if item["loc"] else ""
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "missing":
            if name == "BOT_TOKEN":
                problems.append("BOT_TOKEN is not set: put the token from @BotFather in .env or the environment")
            else:
                problems.append(f"{name} is not set")
        elif name in _SECRET_BEARING:
            problems.append(f"{name} is invalid: {message}")
        elif name:
            problems.append(f"{name}={item['input']!r} is invalid: {message}")
        else:
            problems.append(message)
    return "; ".join(problems)
