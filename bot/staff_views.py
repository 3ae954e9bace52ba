"""How the admin side shows specialists: the list, a specialist's card, weeks at a glance."""

from collections.abc import Sequence
from html import escape

from aiogram.types import InlineKeyboardMarkup

from bot.admin_texts import admin_text
from bot.callbacks import StaffCard, StaffLink, StaffOwnDaysOff, StaffPage, StaffToggle, StaffUnlink, StaffUp
from bot.keyboards import callback_button, rows_of
from bot.pages import Entry, clamp, navigation_rows, page_line, page_with, paginate
from bot.texts import Lang, t
from core.availability import Shifts, Week
from services.staff import StaffMember


def clock(minutes: int) -> str:
    """Minutes from a day's midnight as HH:MM; the end of a shift past midnight reads as the next day's time."""
    return "24:00" if minutes == 24 * 60 else f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"


def shifts_text(lang: Lang, shifts: Shifts) -> str:
    if not shifts:
        return admin_text(lang, "day_off_short")
    return ", ".join(f"{clock(shift.start)}–{clock(shift.end)}" for shift in shifts)


def week_text(lang: Lang, week: Week) -> str:
    """Runs of days with the same hours, as `Mon-Fri 09:00-18:00 · Sat off` (with en dashes)."""
    names = t(lang, "weekdays").split(",")
    runs: list[tuple[int, int]] = []
    for day in range(7):
        if runs and week.days[runs[-1][1]] == week.days[day]:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return " · ".join(
        f"{names[first]}{'–' + names[last] if last > first else ''} {shifts_text(lang, week.days[first])}"
        for first, last in runs
    )


def staff_list(
    lang: Lang, members: Sequence[StaffMember], page: int = 0, *, showing: int | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    entries = []
    for member in members:
        specialist = member.specialist
        line = admin_text(
            lang,
            "staff_line",
            state="✅" if specialist.is_active else "🙈",
            id=specialist.id,
            name=escape(specialist.name),
            services=_services(lang, member),
            linked=admin_text(lang, "staff_linked", user=specialist.telegram_id) if specialist.telegram_id else "",
            week=week_text(lang, member.week),
        )
        entries.append(
            Entry(line, (callback_button(f"👤 {specialist.name}"[:60], StaffCard(specialist_id=specialist.id)),))
        )
    pages = paginate(entries)
    if showing is not None:
        page = page_with(pages, lambda entry: entry.buttons[0].callback_data == StaffCard(specialist_id=showing).pack())
    page = clamp(page, pages)
    text = "\n".join([admin_text(lang, "staff_title"), *(entry.text for entry in pages[page])])
    keyboard = rows_of([b for entry in pages[page] for b in entry.buttons], 2)
    keyboard += navigation_rows(page, len(pages), lambda target: StaffPage(page=target))
    return text + page_line(page, len(pages), admin_text(lang, "page")), InlineKeyboardMarkup(inline_keyboard=keyboard)


def staff_card(lang: Lang, member: StaffMember) -> tuple[str, InlineKeyboardMarkup]:
    specialist = member.specialist
    linked = (
        f"<code>{specialist.telegram_id}</code>"
        if specialist.telegram_id
        else admin_text(lang, "staff_not_linked", id=specialist.id)
    )
    text = admin_text(
        lang,
        "staff_card",
        state="✅" if specialist.is_active else "🙈",
        name=escape(specialist.name),
        id=specialist.id,
        description=f"{escape(specialist.description)}\n" if specialist.description else "",
        services=_services(lang, member),
        week=week_text(lang, member.week),
        linked=linked,
        own=admin_text(lang, "staff_own_allowed" if specialist.may_edit_days_off else "staff_own_denied"),
    )
    key = specialist.id
    buttons = [
        callback_button(
            admin_text(lang, "btn_staff_hide" if specialist.is_active else "btn_staff_show"),
            StaffToggle(specialist_id=key),
        ),
        callback_button("⬆️", StaffUp(specialist_id=key)),
        callback_button(
            admin_text(lang, "btn_staff_unlink" if specialist.telegram_id else "btn_staff_link"),
            StaffUnlink(specialist_id=key) if specialist.telegram_id else StaffLink(specialist_id=key),
        ),
        callback_button(admin_text(lang, "btn_staff_own_days_off"), StaffOwnDaysOff(specialist_id=key)),
        callback_button(admin_text(lang, "btn_staff_list"), StaffPage(page=0, showing=key)),
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=rows_of(buttons, 2))


def hours_overview(lang: Lang, members: Sequence[StaffMember]) -> list[str]:
    """Everyone's week, one line each (the caller pages them)."""
    return [
        f"{'' if member.specialist.is_active else '🙈 '}<b>{escape(member.specialist.name)}</b>: "
        f"{week_text(lang, member.week)}"
        for member in members
    ]


def _services(lang: Lang, member: StaffMember) -> str:
    if member.specialist.all_services:
        return admin_text(lang, "staff_all_services")
    return admin_text(lang, "staff_services", ids=", ".join(map(str, member.service_ids)) or "—")
