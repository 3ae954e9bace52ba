"""How the admin side shows things: day agendas (paginated under Telegram's 4096 limit), lists."""

import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from html import escape
from typing import get_args
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.admin_texts import at
from bot.callbacks import (
    AdminBookFor,
    AdminCancelAsk,
    AdminCancelDo,
    AdminDay,
    AdminKeep,
    AdminMenu,
    AdminMenuItem,
    AdminReschedule,
    AdminUnblock,
)
from bot.formatting import day_label, ddmm, hhmm
from bot.keyboards import callback_button
from bot.texts import Lang
from database.models import BlockedPeriod, Booking, BookingStatus, User
from services.admin import DayAgenda

PAGE_CHARS = 3500  # room under 4096 for the title and page line


def client_link(user: User) -> str:
    name = escape(user.full_name or str(user.id))
    handle = f" @{escape(user.username)}" if user.username else ""
    return f'<a href="tg://user?id={user.id}">{name}</a>{handle}'


def booking_values(booking: Booking, tz: ZoneInfo) -> dict[str, str]:
    return {
        "service": escape(booking.service.name),
        "date": ddmm(booking.starts_at.astimezone(tz).date()),
        "time": hhmm(booking.starts_at, tz),
        "client": client_link(booking.user),
    }


def menu(lang: Lang) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.add(*(callback_button(at(lang, f"btn_{item}"), AdminMenu(item=item)) for item in get_args(AdminMenuItem)))
    builder.adjust(2)
    return builder.as_markup()


def day_view(
    lang: Lang, agenda: DayAgenda, free: Sequence[datetime], tz: ZoneInfo, page: int, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    lines: list[tuple[str, Booking | None]] = []
    if agenda.opening is None:
        lines.append((at(lang, "day_off"), None))
    else:
        lines.append((at(lang, "hours", start=hhmm(agenda.opening.start, tz), end=hhmm(agenda.opening.end, tz)), None))
    for block in agenda.blocks:
        lines.append((_block_line(lang, block, tz), None))
    for booking in agenda.bookings:
        mark = "✔️" if booking.status == BookingStatus.COMPLETED else "•"
        line = (
            f"{mark} {hhmm(booking.starts_at, tz)}–{hhmm(booking.ends_at, tz)} "
            f"{escape(booking.service.name)} — {client_link(booking.user)}"
        )
        lines.append((line, booking))
    if agenda.opening is not None:
        times = ", ".join(hhmm(start, tz) for start in free)
        lines.append((at(lang, "free_line", times=times) if times else at(lang, "no_free"), None))

    pages = _paginate(lines)
    page = min(max(page, 0), len(pages) - 1)
    title = at(lang, "day_title", day=day_label(lang, agenda.day), count=len(agenda.bookings))
    body = "\n".join(text for text, _ in pages[page])
    footer = f"\n\n{at(lang, 'page', page=page + 1, pages=len(pages))}" if len(pages) > 1 else ""

    builder = InlineKeyboardBuilder()
    cancellable = [b for _, b in pages[page] if b is not None and b.status == BookingStatus.ACTIVE and b.ends_at > now]
    builder.add(
        *(
            callback_button(
                f"❌ {hhmm(booking.starts_at, tz)} {booking.user.first_name}"[:60],
                AdminCancelAsk(booking_id=booking.id),
            )
            for booking in cancellable
        )
    )
    builder.adjust(2)
    nav = InlineKeyboardBuilder()
    key = agenda.day.strftime("%Y%m%d")
    if page > 0:
        nav.button(text="⏪", callback_data=AdminDay(day=key, page=page - 1))
    nav.button(text=f"⬅️ {ddmm(agenda.day - timedelta(days=1))}", callback_data=_day(agenda.day - timedelta(days=1)))
    nav.button(text=f"{ddmm(agenda.day + timedelta(days=1))} ➡️", callback_data=_day(agenda.day + timedelta(days=1)))
    if page < len(pages) - 1:
        nav.button(text="⏩", callback_data=AdminDay(day=key, page=page + 1))
    builder.attach(nav)
    return f"{title}\n\n{body}{footer}", builder.as_markup()


def cancel_question(lang: Lang, booking: Booking, tz: ZoneInfo) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    builder.button(text=at(lang, "btn_cancel_no_reason"), callback_data=AdminCancelDo(booking_id=booking.id))
    builder.button(text=at(lang, "btn_reschedule"), callback_data=AdminReschedule(booking_id=booking.id))
    builder.button(text=at(lang, "btn_keep"), callback_data=AdminKeep(booking_id=booking.id))
    builder.adjust(1)
    return at(lang, "cancel_ask", **booking_values(booking, tz)), builder.as_markup()


def conflicts(
    lang: Lang, bookings: Sequence[Booking], block: BlockedPeriod, tz: ZoneInfo
) -> InlineKeyboardMarkup | None:
    if not bookings:
        return None
    buttons = []
    for booking in bookings[:45]:
        label = (
            f"{ddmm(booking.starts_at.astimezone(tz).date())} {hhmm(booking.starts_at, tz)} {booking.user.first_name}"
        )
        buttons.append(callback_button(f"↩️ {label}"[:60], AdminKeep(booking_id=booking.id)))
        buttons.append(callback_button(f"❌ {label}"[:60], AdminCancelDo(booking_id=booking.id, block_id=block.id)))
    builder = InlineKeyboardBuilder()
    builder.add(*buttons)
    builder.adjust(2)
    return builder.as_markup()


def blocks_view(lang: Lang, blocks: Sequence[BlockedPeriod], tz: ZoneInfo) -> tuple[str, InlineKeyboardMarkup | None]:
    if not blocks:
        return at(lang, "blocks_none"), None
    lines = [at(lang, "blocks_title")]
    buttons = []
    for block in blocks[:50]:
        lines.append(_block_line(lang, block, tz, with_day=True))
        buttons.append(
            callback_button(
                at(lang, "btn_unblock", start=_moment(block.starts_at, tz)), AdminUnblock(block_id=block.id)
            )
        )
    builder = InlineKeyboardBuilder()
    builder.add(*buttons)
    builder.adjust(1)
    return "\n".join(lines), builder.as_markup()


def audit_change(before: str | None, after: str | None, limit: int = 300) -> str:
    """What an audit entry changed, field by field ("status: active → cancelled"), as plain text."""
    old: dict[str, object] = json.loads(before) if before else {}
    new: dict[str, object] = json.loads(after) if after else {}
    parts = [
        f"{key}: {_plain(old.get(key))} → {_plain(new.get(key))}"
        for key in dict.fromkeys([*old, *new])
        if old.get(key) != new.get(key)
    ]
    text = "; ".join(parts) or "—"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(value: object) -> str:
    return "—" if value is None else str(value)


def clients(users: Sequence[User]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.add(
        *(
            callback_button(
                f"{user.full_name}{' @' + user.username if user.username else ''}"[:60], AdminBookFor(client_id=user.id)
            )
            for user in users
        )
    )
    builder.adjust(1)
    return builder.as_markup()


def period_text(start: datetime, end: datetime, tz: ZoneInfo) -> tuple[str, str]:
    return _moment(start, tz), _moment(end, tz)


def _block_line(lang: Lang, block: BlockedPeriod, tz: ZoneInfo, *, with_day: bool = False) -> str:
    reason = f": {escape(block.reason)}" if block.reason else ""
    if with_day:
        start, end = period_text(block.starts_at, block.ends_at, tz)
    else:
        start, end = hhmm(block.starts_at, tz), hhmm(block.ends_at, tz)
    return at(lang, "blocked_line", start=start, end=end, reason=reason)


def _moment(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return f"{local:%d.%m %H:%M}"


def _day(day: date) -> AdminDay:
    return AdminDay(day=day.strftime("%Y%m%d"))


def _paginate(lines: list[tuple[str, Booking | None]]) -> list[list[tuple[str, Booking | None]]]:
    pages: list[list[tuple[str, Booking | None]]] = [[]]
    size = 0
    for line in lines:
        if pages[-1] and size + len(line[0]) + 1 > PAGE_CHARS:
            pages.append([])
            size = 0
        pages[-1].append(line)
        size += len(line[0]) + 1
    return pages
