"""The bot's settings, read from the environment and `.env` at the top (main.py) and passed down."""

from config.settings import ConfigError, DbKind, Settings, load_settings

__all__ = ["ConfigError", "DbKind", "Settings", "load_settings"]
