"""An emulator of the Telegram Bot API, served over real HTTP: the sandbox's Telegram and the tests'."""

from emulator.api import (
    MAX_BUTTONS,
    MAX_TEXT,
    SECRET_HEADER,
    TOKEN,
    ApiError,
    BotApiEmulator,
    EmulatedUser,
    SentFile,
    SentMessage,
    parse_html,
    render_html,
)

__all__ = [
    "MAX_BUTTONS",
    "MAX_TEXT",
    "SECRET_HEADER",
    "TOKEN",
    "ApiError",
    "BotApiEmulator",
    "EmulatedUser",
    "SentFile",
    "SentMessage",
    "parse_html",
    "render_html",
]
