"""What `--sandbox` changes in the settings: its own Telegram (the emulator), its own database, its own owner."""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from emulator import TOKEN
from sandbox.page import OWNER_ID

DATABASE_FILE = Path("data/sandbox.db")
DEFAULT_PORT = 8080
LOOPBACK = "127.0.0.1"
# A real deployment's values that the sandbox must never use: it would talk to Telegram, or write to production.
REPLACED = ("BOT_TOKEN", "TELEGRAM_API_URL", "DATABASE_URL", "DB_TYPE", "REDIS_URL", "WEBHOOK_URL", "ADMIN_IDS")


# Hours in which there is always a time to book, soon, a reminder a minute before it, moves and cancels up to
# the start and the feedback request a minute after the end: whoever tries the sandbox sees the whole of a
# booking's life within minutes. Only where the environment and .env say nothing.
DEMO = {
    "WORK_DAYS": "1-7",
    "WORK_START": "00:00",
    "WORK_END": "23:59",
    "SLOT_MINUTES": "10",
    "BOOKING_MIN_LEAD": "1m",
    "REMINDERS": "24h,2h,1m",
    "CANCEL_CUTOFF": "0s",
    "FEEDBACK_AFTER": "1m",
    "DEFAULT_LANGUAGE": "en",
}


class SandboxConfigError(Exception):
    pass


def environment() -> dict[str, str]:
    """The variables as the bot reads them: `.env` first, the environment over it; names in upper case."""
    values = {name.upper(): value for name, value in dotenv_values(".env").items() if value is not None}
    values.update({name.upper(): value for name, value in os.environ.items()})
    return values


def overrides(api_url: str, values: Mapping[str, str]) -> dict[str, Any]:
    return {
        **{name.lower(): value for name, value in DEMO.items() if not values.get(name, "").strip()},
        "bot_token": TOKEN,
        "telegram_api_url": api_url,
        "database_url": f"sqlite+aiosqlite:///{DATABASE_FILE}",
        "db_type": "sqlite",
        "redis_url": None,
        "webhook_url": None,
        "webhook_secret": None,
        "admin_ids": frozenset({OWNER_ID}),
        "web_port": None,  # the page is the sandbox's web server; health checks and feeds are for deployments
        "public_url": None,
    }


def ignored(values: Mapping[str, str]) -> list[str]:
    return [name for name in REPLACED if values.get(name, "").strip()]


def page_address(values: Mapping[str, str]) -> tuple[str, int, bool]:
    """Where the page listens, and whether that is beyond this machine (WEB_HOST set to something else)."""
    host = values.get("WEB_HOST", "").strip() or LOOPBACK
    port_text = values.get("WEB_PORT", "").strip() or str(DEFAULT_PORT)
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise SandboxConfigError(f"WEB_PORT={port_text!r} is invalid: a port from 1 to 65535")
    return host, int(port_text), host not in (LOOPBACK, "localhost", "::1")


def remove_database() -> None:
    for suffix in ("", "-wal", "-shm"):
        DATABASE_FILE.with_name(DATABASE_FILE.name + suffix).unlink(missing_ok=True)
