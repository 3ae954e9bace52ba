"""Lists too long for one message, split into pages that respect both of Telegram's limits.

A message holds at most 4096 characters (counted as UTF-16 code units, after the HTML is parsed) and a
keyboard at most 100 buttons. Pages are cut at whole entries, by the length of their HTML (never shorter than
what Telegram counts) and by the buttons they carry, leaving room for a title and the navigation row.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton

PAGE_CHARS = 3500
PAGE_BUTTONS = 90


@dataclass(frozen=True, slots=True)
class Entry:
    text: str
    buttons: tuple[InlineKeyboardButton, ...] = ()


def telegram_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def paginate(entries: Sequence[Entry], *, chars: int = PAGE_CHARS, buttons: int = PAGE_BUTTONS) -> list[list[Entry]]:
    """The entries in pages; always at least one page, perhaps empty."""
    pages: list[list[Entry]] = [[]]
    size = count = 0
    for entry in entries:
        length = telegram_length(entry.text) + 1
        if pages[-1] and (size + length > chars or count + len(entry.buttons) > buttons):
            pages.append([])
            size = count = 0
        pages[-1].append(entry)
        size += length
        count += len(entry.buttons)
    return pages


def clamp(page: int, pages: Sequence[object]) -> int:
    return min(max(page, 0), len(pages) - 1)


def page_with(pages: Sequence[Sequence[Entry]], wanted: Callable[[Entry], bool]) -> int:
    """The page on which an entry is (to show the same page again after acting on it), else the first."""
    return next((n for n, page in enumerate(pages) if any(wanted(entry) for entry in page)), 0)


def navigation(page: int, pages: int, to_page: Callable[[int], CallbackData]) -> list[InlineKeyboardButton]:
    """⏪ and ⏩ where there is a page to go to."""
    return [
        InlineKeyboardButton(text=label, callback_data=to_page(target).pack())
        for target, label in ((page - 1, "⏪"), (page + 1, "⏩"))
        if 0 <= target < pages
    ]


def navigation_rows(page: int, pages: int, to_page: Callable[[int], CallbackData]) -> list[list[InlineKeyboardButton]]:
    """The ⏪ ⏩ row to put under a page's buttons, if there is another page."""
    buttons = navigation(page, pages, to_page)
    return [buttons] if buttons else []


def page_line(page: int, pages: int, label: str) -> str:
    """'Page 2 of 3' (as `label` words it) below a page, when there is more than one."""
    return f"\n\n{label.format(page=page + 1, pages=pages)}" if pages > 1 else ""
