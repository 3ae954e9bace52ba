"""How the admin side shows things: day agendas (paginated under Telegram's 4096 limit), lists."""

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from html import escape
from typing import get_args
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.admin_texts import admin_text
from bot.callbacks import (
    AdminBlockPage,
    AdminBlocksPage,
    AdminBookFor,
    AdminCancelAsk,
    AdminCancelDo,
    AdminKeep,
    AdminMenu,
    AdminMenuItem,
    AdminReschedule,
    AdminUnblock,
    ClientBookingClosed,
    ClientCardOpen,
    ClientForgive,
    ClientNoteAsk,
)
from bot.formatting import day_label, ddmm, hhmm, local, service_label
from bot.keyboards import callback_button, rows_of
from bot.pages import Entry, clamp, navigation, navigation_rows, page_line, paginate
from bot.texts import Lang
from database.models import BlockedPeriod, Booking, BookingStatus, CancelledBy, User
from services.admin import ClientCard, DayAgenda


def client_link(user: User) -> str:
    name = escape(user.full_name or str(user.id))
    handle = f" @{escape(user.username)}" if user.username else ""
    return f'<a href="tg://user?id={user.id}">{name}</a>{handle}'


def booking_values(booking: Booking, tz: ZoneInfo, *, with_specialist: bool = False) -> dict[str, str]:
    return {
        "service": service_label(booking, with_specialist),
        "date": ddmm(booking.starts_at.astimezone(tz).date()),
        "time": hhmm(booking.starts_at, tz),
        "client": client_link(booking.user),
    }


def menu(lang: Lang) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.add(
        *(callback_button(admin_text(lang, f"btn_{item}"), AdminMenu(item=item)) for item in get_args(AdminMenuItem))
    )
    builder.adjust(2)
    return builder.as_markup()


def day_view(
    lang: Lang,
    agenda: DayAgenda,
    free: Mapping[int, Sequence[datetime]],
    tz: ZoneInfo,
    page: int,
    now: datetime,
    *,
    link: Callable[[date, int], CallbackData],
    visit: Callable[[Booking, bool], CallbackData],
    with_buttons: bool = True,
) -> tuple[str, InlineKeyboardMarkup]:
    """A day, specialist by specialist (their hours, bookings, blocks and free starts); with one specialist, no
    headings. `free` holds each specialist's free starts; `link` is the button of a day's page, `visit` that of
    a begun booking's ✅ came / 🚫 no-show; ❌ buttons only `with_buttons` (the admins' view)."""
    entries: list[Entry] = [Entry(_block_line(lang, block, tz)) for block in agenda.blocks]
    several = len(agenda.specialists) > 1
    for column in agenda.specialists:
        hours = ", ".join(f"{hhmm(item.start, tz)}–{hhmm(item.end, tz)}" for item in column.opening)
        if several:
            status = hours or admin_text(lang, "day_off")
            entries.append(Entry(f"\n👤 <b>{escape(column.specialist.name)}</b> · {status}"))
        else:
            entries.append(Entry(admin_text(lang, "hours", hours=hours) if hours else admin_text(lang, "day_off")))
        entries.extend(Entry(_block_line(lang, block, tz)) for block in column.blocks)
        for booking in column.bookings:
            mark = _attendance_mark(booking)
            no_shows = agenda.no_shows.get(booking.user_id, 0)
            line = (
                f"{mark} {hhmm(booking.starts_at, tz)}–{hhmm(booking.ends_at, tz)} "
                f"{escape(booking.service.name)} — {client_link(booking.user)}" + (f" 🚫{no_shows}" if no_shows else "")
            )
            buttons: list[InlineKeyboardButton] = []
            label = f"{hhmm(booking.starts_at, tz)} {booking.user.first_name}"[:50]
            if booking.starts_at <= now:
                if booking.status != BookingStatus.COMPLETED:
                    buttons.append(callback_button(f"✅ {label}", visit(booking, True)))
                if booking.status != BookingStatus.NO_SHOW:
                    buttons.append(callback_button(f"🚫 {label}", visit(booking, False)))
            elif booking.status == BookingStatus.ACTIVE and with_buttons:
                buttons.append(callback_button(f"❌ {label}", AdminCancelAsk(booking_id=booking.id)))
            entries.append(Entry(line, tuple(buttons)))
        if column.opening:
            times = ", ".join(hhmm(start, tz) for start in free.get(column.specialist.id, ()))
            entries.append(Entry(admin_text(lang, "free_line", times=times) if times else admin_text(lang, "no_free")))

    if agenda.bookings:
        entries.append(Entry(f"\n<i>{admin_text(lang, 'attendance_legend')}</i>"))
    pages = paginate(entries)
    page = clamp(page, pages)
    title = admin_text(lang, "day_title", day=day_label(lang, agenda.day), count=len(agenda.bookings))
    body = "\n".join(entry.text for entry in pages[page])
    nav = navigation(page, len(pages), lambda target: link(agenda.day, target))
    days = [
        callback_button(f"⬅️ {ddmm(agenda.day - timedelta(days=1))}", link(agenda.day - timedelta(days=1), 0)),
        callback_button(f"{ddmm(agenda.day + timedelta(days=1))} ➡️", link(agenda.day + timedelta(days=1), 0)),
    ]
    earlier, later = [b for b in nav if b.text == "⏪"], [b for b in nav if b.text == "⏩"]
    keyboard = [*rows_of([b for entry in pages[page] for b in entry.buttons], 2), [*earlier, *days, *later]]
    footer = page_line(page, len(pages), admin_text(lang, "page"))
    return f"{title}\n\n{body}{footer}", InlineKeyboardMarkup(inline_keyboard=keyboard)


def _attendance_mark(booking: Booking) -> str:
    if booking.status == BookingStatus.COMPLETED:
        return "✔️"
    if booking.status == BookingStatus.NO_SHOW:
        return "🚫"
    return "✅" if booking.confirmed_at else "❔"


def cancel_question(lang: Lang, booking: Booking, tz: ZoneInfo) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    builder.button(text=admin_text(lang, "btn_cancel_no_reason"), callback_data=AdminCancelDo(booking_id=booking.id))
    builder.button(text=admin_text(lang, "btn_reschedule"), callback_data=AdminReschedule(booking_id=booking.id))
    builder.button(text=admin_text(lang, "btn_keep"), callback_data=AdminKeep(booking_id=booking.id))
    builder.adjust(1)
    return admin_text(lang, "cancel_ask", **booking_values(booking, tz)), builder.as_markup()


def block_view(
    lang: Lang, block: BlockedPeriod, inside: Sequence[Booking], tz: ZoneInfo, page: int, *, created: bool
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A block and the active bookings inside it, a page at a time, each with ↩️ keep and ❌ cancel."""
    start, end = period_text(block.starts_at, block.ends_at, tz)
    reason = f" ({escape(block.reason)})" if block.reason else ""
    if block.specialist is not None:
        reason = f" · 👤 {escape(block.specialist.name)}{reason}"
    text = admin_text(lang, "blocked" if created else "already_blocked", start=start, end=end, reason=reason)
    if not inside:
        return text, None
    part, keyboard = decisions(
        lang,
        inside,
        tz,
        page,
        cancel=lambda booking: AdminCancelDo(booking_id=booking.id, block_id=block.id),
        to_page=lambda target: AdminBlockPage(block_id=block.id, page=target),
    )
    return text + part, keyboard


def decisions(
    lang: Lang,
    bookings: Sequence[Booking],
    tz: ZoneInfo,
    page: int,
    *,
    cancel: Callable[[Booking], CallbackData],
    to_page: Callable[[int], CallbackData],
    heading: str = "conflicts",
) -> tuple[str, InlineKeyboardMarkup]:
    """Bookings an admin must decide on (inside a block, outside new hours), a page at a time, each with ↩️ keep
    and ❌ cancel: nothing is cancelled silently."""
    entries = []
    for booking in bookings:
        values = booking_values(booking, tz)
        label = f"{values['date']} {values['time']} {booking.user.first_name}"
        keep = callback_button(f"↩️ {label}"[:60], AdminKeep(booking_id=booking.id))
        line = f"• {values['date']} {values['time']} {values['service']} — {values['client']}"
        entries.append(Entry(line, (keep, callback_button(f"❌ {label}"[:60], cancel(booking)))))
    pages = paginate(entries)
    page = clamp(page, pages)
    text = admin_text(lang, heading, count=len(bookings)) + "\n" + "\n".join(entry.text for entry in pages[page])
    text += page_line(page, len(pages), admin_text(lang, "page"))
    keyboard = rows_of([b for entry in pages[page] for b in entry.buttons], 2)
    keyboard += navigation_rows(page, len(pages), to_page)
    return text, InlineKeyboardMarkup(inline_keyboard=keyboard)


def blocks_view(
    lang: Lang, blocks: Sequence[BlockedPeriod], tz: ZoneInfo, page: int = 0
) -> tuple[str, InlineKeyboardMarkup | None]:
    if not blocks:
        return admin_text(lang, "blocks_none"), None
    entries = [
        Entry(
            _block_line(lang, block, tz, with_day=True),
            (
                callback_button(
                    admin_text(lang, "btn_unblock", start=_moment(block.starts_at, tz)), AdminUnblock(block_id=block.id)
                ),
            ),
        )
        for block in blocks
    ]
    pages = paginate(entries)
    page = clamp(page, pages)
    text = "\n".join([admin_text(lang, "blocks_title"), *(entry.text for entry in pages[page])])
    keyboard = [[b] for entry in pages[page] for b in entry.buttons]
    keyboard += navigation_rows(page, len(pages), lambda target: AdminBlocksPage(page=target))
    return text + page_line(page, len(pages), admin_text(lang, "page")), InlineKeyboardMarkup(inline_keyboard=keyboard)


def audit_change(before: str | None, after: str | None, limit: int = 200) -> str:
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


def clients(
    users: Sequence[User], pick: Callable[[int], CallbackData] = lambda client_id: AdminBookFor(client_id=client_id)
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.add(
        *(
            callback_button(f"{user.full_name}{' @' + user.username if user.username else ''}"[:60], pick(user.id))
            for user in users
        )
    )
    builder.adjust(1)
    return builder.as_markup()


NOTE_SHOWN = 300  # characters of a note on the card; with CARD_UPCOMING and CARD_NOTES it stays under 4096


def client_card(lang: Lang, card: ClientCard, tz: ZoneInfo) -> tuple[str, InlineKeyboardMarkup]:
    user = card.user
    lines = [
        admin_text(lang, "card_title", client=client_link(user), id=user.id, since=_day_month_year(user.created_at, tz))
    ]
    if user.booking_blocked_at is not None:
        lines.append(admin_text(lang, "card_closed", since=_day_month_year(user.booking_blocked_at, tz)))
    counting = card.unforgiven_no_shows
    lines.append(
        admin_text(
            lang,
            "card_counts",
            visits=card.visits,
            no_shows=card.no_shows,
            counting=admin_text(lang, "card_counting", count=counting) if counting != card.no_shows else "",
            by_client=card.cancelled.get(CancelledBy.CLIENT, 0),
            by_business=card.cancelled.get(CancelledBy.ADMIN, 0),
            released=card.cancelled.get(CancelledBy.RELEASE, 0),
            rated=card.rated,
            average=admin_text(lang, "card_average", average=f"{card.average_rating:.1f}")
            if card.average_rating is not None
            else "",
        )
    )
    if card.upcoming:
        lines.append("\n" + admin_text(lang, "card_upcoming"))
        lines.extend(
            f"• {_when(booking, tz)} — {service_label(booking, with_specialist=True)}" for booking in card.upcoming
        )
        lines.extend(_more(lang, card.upcoming_total - len(card.upcoming)))
    else:
        lines.append("\n" + admin_text(lang, "card_no_upcoming"))
    if card.notes:
        lines.append("\n" + admin_text(lang, "card_notes"))
        lines.extend(
            f"• {ddmm(local(note.created_at, tz).date())}: {escape(_shortened(note.text, NOTE_SHOWN))}"
            for note in card.notes
        )
        lines.extend(_more(lang, card.notes_total - len(card.notes)))

    builder = InlineKeyboardBuilder()
    for booking in card.upcoming:
        builder.row(callback_button(f"❌ {_when(booking, tz)}", AdminCancelAsk(booking_id=booking.id)))
    builder.row(
        callback_button(admin_text(lang, "btn_card_book"), AdminBookFor(client_id=user.id)),
        callback_button(admin_text(lang, "btn_card_note"), ClientNoteAsk(client_id=user.id)),
    )
    closed = user.booking_blocked_at is not None
    builder.row(
        callback_button(
            admin_text(lang, "btn_card_open" if closed else "btn_card_close"),
            ClientBookingClosed(client_id=user.id, closed=not closed),
        )
    )
    if counting:
        builder.row(
            callback_button(admin_text(lang, "btn_card_forgive", count=counting), ClientForgive(client_id=user.id))
        )
    return "\n".join(lines), builder.as_markup()


def client_pick(users: Sequence[User]) -> InlineKeyboardMarkup:
    return clients(users, lambda client_id: ClientCardOpen(client_id=client_id))


def _when(booking: Booking, tz: ZoneInfo) -> str:
    return f"{ddmm(local(booking.starts_at, tz).date())} {hhmm(booking.starts_at, tz)}"


def _day_month_year(moment: datetime, tz: ZoneInfo) -> str:
    return f"{local(moment, tz):%d.%m.%Y}"


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _more(lang: Lang, count: int) -> list[str]:
    return [admin_text(lang, "card_more", count=count)] if count > 0 else []


def period_text(start: datetime, end: datetime, tz: ZoneInfo) -> tuple[str, str]:
    return _moment(start, tz), _moment(end, tz)


def _block_line(lang: Lang, block: BlockedPeriod, tz: ZoneInfo, *, with_day: bool = False) -> str:
    reason = f": {escape(block.reason)}" if block.reason else ""
    if block.specialist is not None:
        reason = f" · 👤 {escape(block.specialist.name)}{reason}"
    if with_day:
        start, end = period_text(block.starts_at, block.ends_at, tz)
    else:
        start, end = hhmm(block.starts_at, tz), hhmm(block.ends_at, tz)
    return admin_text(lang, "blocked_line", start=start, end=end, reason=reason)


def _moment(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return f"{local:%d.%m %H:%M}"
