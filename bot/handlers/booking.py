"""Booking and rescheduling: service → specialist → day → time → confirm. Every step re-validates its callback.

The specialist step is skipped when one specialist performs the service (`specialist_id` 0 then, as for
"any specialist"). A move keeps the booking's specialist unless the client picks another one.

The same flow serves admins booking or moving a booking on a client's behalf (`client_id` in the
callback data); the sender's admin rights are checked again on every such click.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from html import escape
from typing import Any

from aiogram import BaseMiddleware, Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, TelegramObject

from bot import keyboards
from bot.admin_views import client_link
from bot.callbacks import (
    ConfirmBooking,
    DatePick,
    DatesPage,
    FlowAbort,
    FlowBack,
    FlowScope,
    MonthPage,
    Noop,
    ServicePick,
    SpecialistPick,
    TimePick,
    calendar_day,
)
from bot.formatting import booking_text, day_label, ddmm, hhmm, local, service_with, weekday
from bot.handlers.refusals import refusal_text, refuse
from bot.middlewares import READ_ONLY
from bot.replies import show
from bot.texts import Lang, menu_texts, pick_language, t
from core.errors import (
    AlreadyBooked,
    BookingError,
    NotAllowed,
    SelfBookingClosed,
    ServiceUnavailable,
    SlotNotOffered,
    SlotTaken,
)
from database.models import Booking, Service, Specialist, User, utcnow
from services.admin import AdminService
from services.booking import BookingService
from services.delivery import deliver

router = Router(name=__name__)


@dataclass(frozen=True, slots=True)
class Acting:
    """Whose booking this flow is about: the sender's own, or (for an admin) a client's."""

    client: User
    by_admin: bool

    def scope(self, booking: Booking | None = None, specialist_id: int = 0) -> FlowScope:
        return FlowScope(booking.id if booking else 0, self.client.id if self.by_admin else 0, specialist_id)


@dataclass(frozen=True, slots=True)
class Flow:
    """A click in the booking flow, resolved: who acts, the booking being moved (if any), the service and the
    specialist (None: anyone who performs it)."""

    acting: Acting
    booking: Booking | None
    service: Service | None  # None only on the way back to the list of services
    specialist: Specialist | None = None

    @property
    def chosen(self) -> Service:
        if self.service is None:
            raise ServiceUnavailable("this step names no service")
        return self.service

    @property
    def specialist_id(self) -> int:
        return self.specialist.id if self.specialist is not None else 0

    @property
    def scope(self) -> FlowScope:
        return self.acting.scope(self.booking, self.specialist_id)


class ResolveFlow(BaseMiddleware):
    """Resolves a booking flow's click into `flow` once, for every step, before its handler.

    Callback data is untrusted: a client id other than the sender's needs the sender to be an admin (checked
    on every click), the booking to move must be the client's own, active and (for clients) not inside the
    cancellation cutoff, the service must still be offered — while moving, the booking's own service counts,
    whatever the button claims — and a specialist named must perform it. What may not be done is refused
    politely, and no handler runs.
    """

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        step = data.get("callback_data")
        if not isinstance(event, CallbackQuery) or not isinstance(step, FLOW_STEPS):
            return await handler(event, data)
        booking_service: BookingService = data["booking_service"]
        try:
            acting = await _acting(step.client_id, data["user"], data["admin_service"])
            booking = None
            if step.booking_id:
                booking = await booking_service.changeable_booking(
                    step.booking_id, acting.client.id, utcnow(), enforce_cutoff=not acting.by_admin
                )
            service = specialist = None
            if booking is not None or step.service_id:
                service = await booking_service.active_service(booking.service_id if booking else step.service_id)
                if step.specialist_id:
                    specialist = await booking_service.specialist_for(service, step.specialist_id)
            elif not (isinstance(step, FlowBack) and step.to == "services"):
                raise ServiceUnavailable(f"{type(step).__name__} names no service")  # forged: every other step does
        except BookingError as error:
            await refuse(event, data["lang"], error)
            return None
        data["flow"] = Flow(acting, booking, service, specialist)
        return await handler(event, data)


FLOW_STEPS = (ServicePick, SpecialistPick, DatePick, TimePick, ConfirmBooking, FlowBack, DatesPage, MonthPage)


async def _acting(client_id: int, user: User, admin_service: AdminService) -> Acting:
    if not client_id or client_id == user.id:
        return Acting(user, by_admin=False)
    if not await admin_service.is_admin(user.id):
        raise NotAllowed(f"user {user.id} may not act for {client_id}")
    client = await admin_service.client(client_id)
    return Acting(client, by_admin=True)


router.callback_query.middleware(ResolveFlow())


@router.message(Command("book"), flags=READ_ONLY)
@router.message(F.text.in_(menu_texts("menu_book")), flags=READ_ONLY)
async def begin(message: Message, lang: Lang, user: User, booking_service: BookingService) -> None:
    try:
        await booking_service.ensure_may_book(user)
    except SelfBookingClosed as error:
        await message.answer(refusal_text(lang, error))
        return
    text, markup = await first_step(booking_service, lang, Acting(user, by_admin=False))
    await message.answer(text, reply_markup=markup)


@router.callback_query(ServicePick.filter(), flags=READ_ONLY)
async def service_picked(callback: CallbackQuery, lang: Lang, flow: Flow, booking_service: BookingService) -> None:
    await show(callback, *await _after_service(booking_service, lang, flow, with_back=True))
    await callback.answer()


@router.callback_query(FlowBack.filter(F.to == "specialists"), flags=READ_ONLY)
async def specialists_shown(callback: CallbackQuery, lang: Lang, flow: Flow, booking_service: BookingService) -> None:
    await show(callback, *await _specialists_view(booking_service, lang, flow, with_back=flow.booking is None))
    await callback.answer()


@router.callback_query(SpecialistPick.filter(), flags=READ_ONLY)
@router.callback_query(DatesPage.filter(), flags=READ_ONLY)
@router.callback_query(MonthPage.filter(), flags=READ_ONLY)
@router.callback_query(FlowBack.filter(F.to == "dates"), flags=READ_ONLY)
async def days_shown(
    callback: CallbackQuery,
    callback_data: SpecialistPick | DatesPage | MonthPage | FlowBack,
    lang: Lang,
    flow: Flow,
    booking_service: BookingService,
) -> None:
    page = callback_data.page if isinstance(callback_data, DatesPage) else 0
    month = None
    if isinstance(callback_data, MonthPage):
        month = datetime.strptime(callback_data.month, "%Y%m").date()  # noqa: DTZ007 - a calendar month
    await show(callback, *await _dates_view(booking_service, lang, flow, page=page, month=month))
    await callback.answer()


@router.callback_query(Noop.filter(), flags=READ_ONLY)
async def nothing_there(callback: CallbackQuery) -> None:
    await callback.answer()


@router.callback_query(FlowBack.filter(F.to == "services"), flags=READ_ONLY)
async def services_shown(callback: CallbackQuery, lang: Lang, flow: Flow, booking_service: BookingService) -> None:
    await show(callback, *await first_step(booking_service, lang, flow.acting))
    await callback.answer()


@router.callback_query(DatePick.filter(), flags=READ_ONLY)
async def date_picked(
    callback: CallbackQuery, callback_data: DatePick, lang: Lang, flow: Flow, booking_service: BookingService
) -> None:
    try:
        day = calendar_day(callback_data.day)
    except ValueError:
        await callback.answer(t(lang, "stale_button"))
        return
    await show(callback, *await _times_view(booking_service, lang, flow, day, page=callback_data.page))
    await callback.answer()


@router.callback_query(TimePick.filter(), flags=READ_ONLY)
async def time_picked(
    callback: CallbackQuery, callback_data: TimePick, lang: Lang, flow: Flow, booking_service: BookingService
) -> None:
    service, booking, acting = flow.chosen, flow.booking, flow.acting
    start = _from_timestamp(callback_data.start)
    tz = booking_service.settings.timezone
    day = local(start, tz).date()
    free = await booking_service.available_starts(
        service, day, utcnow(), specialist_id=flow.specialist_id, moving=booking
    )
    if start not in free:
        await show(callback, *await _times_view(booking_service, lang, flow, day, notice=t(lang, "slot_taken")))
        await callback.answer(t(lang, "slot_taken"))
        return
    values = {
        "service": service_with(service, flow.specialist),
        "date": ddmm(day),
        "weekday": weekday(lang, day),
        "time": hhmm(start, tz),
    }
    if booking is None:
        text = t(lang, "summary", **values)
    else:
        old_day = local(booking.starts_at, tz).date()
        text = t(lang, "summary_reschedule", old_date=ddmm(old_day), old_time=hhmm(booking.starts_at, tz), **values)
    if acting.by_admin:
        text = f"👤 {client_link(acting.client)}\n{text}"
    await show(callback, text, keyboards.summary(lang, service.id, start, tz, flow.scope))
    await callback.answer()


@router.callback_query(ConfirmBooking.filter())
async def confirmed(
    callback: CallbackQuery,
    callback_data: ConfirmBooking,
    lang: Lang,
    user: User,
    flow: Flow,
    booking_service: BookingService,
    admin_service: AdminService,
    bot: Bot,
) -> None:
    acting = flow.acting
    client_id = acting.client.id
    start = _from_timestamp(callback_data.start)
    try:
        if flow.booking is not None:
            booking = await booking_service.reschedule(
                flow.booking.id, client_id, start, specialist_id=flow.specialist_id, by_admin=acting.by_admin
            )
            key = "rescheduled"
        else:
            booking = await booking_service.book(
                client_id, flow.chosen.id, start, specialist_id=flow.specialist_id, by_admin=acting.by_admin
            )
            key = "booked"
    except AlreadyBooked as already:
        booking, key = already.booking, "booked"
    except (SlotTaken, SlotNotOffered) as error:
        notice = t(lang, "slot_taken" if isinstance(error, SlotTaken) else "slot_not_offered")
        await callback.answer(notice)
        day = local(start, booking_service.settings.timezone).date()
        await show(callback, *await _times_view(booking_service, lang, flow, day, notice=notice))
        return
    except BookingError as error:
        await refuse(callback, lang, error)
        return
    tz = booking_service.settings.timezone
    several = await booking_service.several_specialists()
    if acting.by_admin:
        action = "booking.reschedule" if key == "rescheduled" else "booking.create_for"
        state = {
            "client": client_id,
            "starts_at": booking.starts_at.isoformat(),
            "service": booking.service.name,
            "specialist": booking.specialist.name,
        }
        await admin_service.audit(user.id, action, f"booking:{booking.id}", None, state)
    text = booking_text(lang, key, booking, tz, with_specialist=several)
    if acting.by_admin:
        await show(callback, f"👤 {client_link(acting.client)}\n{text}")
    else:
        await show(callback, text, keyboards.calendar_file(lang, booking))
    await callback.answer("✅")
    if acting.by_admin:
        client_lang = pick_language(acting.client.language, booking_service.settings.default_language)
        notice = "moved_for_you" if key == "rescheduled" else "booked_for_you"
        await deliver(bot, client_id, booking_text(client_lang, notice, booking, tz, with_specialist=several))


@router.callback_query(FlowAbort.filter())
async def aborted(callback: CallbackQuery, lang: Lang) -> None:
    await show(callback, t(lang, "flow_left"))
    await callback.answer()


async def first_step(
    booking_service: BookingService, lang: Lang, acting: Acting
) -> tuple[str, InlineKeyboardMarkup | None]:
    offered = await booking_service.active_services()
    if len(offered) == 1:
        return await _after_service(booking_service, lang, Flow(acting, None, offered[0]), with_back=False)
    text = t(lang, "choose_service")
    if acting.by_admin:
        text = f"👤 {client_link(acting.client)}\n{text}"
    return text, keyboards.services(lang, offered, acting.scope())


async def dates_view_for_reschedule(
    booking_service: BookingService, lang: Lang, booking: Booking, acting: Acting
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A move starts with the days of the booking's own specialist."""
    offered = await booking_service.active_service(booking.service_id)
    specialists = await booking_service.specialists_for(offered)
    own = next((item for item in specialists if item.id == booking.specialist_id), None)
    return await _dates_view(booking_service, lang, Flow(acting, booking, offered, own))


async def _after_service(
    booking_service: BookingService, lang: Lang, flow: Flow, *, with_back: bool
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The specialists of the service, or its days when one specialist performs it."""
    if len(await booking_service.specialists_for(flow.chosen)) > 1:
        return await _specialists_view(booking_service, lang, flow, with_back=with_back)
    return await _dates_view(booking_service, lang, flow, with_back=with_back)


async def _specialists_view(
    booking_service: BookingService, lang: Lang, flow: Flow, *, with_back: bool
) -> tuple[str, InlineKeyboardMarkup | None]:
    service = flow.chosen
    people = await booking_service.specialists_for(service)
    text = t(lang, "choose_specialist", service=escape(service.name))
    if flow.acting.by_admin:
        text = f"👤 {client_link(flow.acting.client)}\n{text}"
    return text, keyboards.specialists(lang, service.id, people, flow.scope, with_back=with_back)


async def _dates_view(
    booking_service: BookingService,
    lang: Lang,
    flow: Flow,
    *,
    with_back: bool = True,
    page: int = 0,
    month: date | None = None,
) -> tuple[str, InlineKeyboardMarkup | None]:
    settings = booking_service.settings
    service, booking = flow.chosen, flow.booking
    days = await booking_service.available_days(service, utcnow(), specialist_id=flow.specialist_id, moving=booking)
    several = len(await booking_service.specialists_for(service)) > 1
    back_to: keyboards.BackTo = "specialists" if several else ("services" if with_back and booking is None else None)
    may_wait = flow.booking is None and not flow.acting.by_admin
    waitlist = [keyboards.waitlist_entry(lang, service.id, flow.specialist_id)] if may_wait else []
    if not days:
        markup = None
        if several or waitlist:
            markup = InlineKeyboardMarkup(
                inline_keyboard=[*waitlist, keyboards.dates_footer(lang, service.id, flow.scope, back_to)]
            )
        return t(lang, "no_days", days=settings.booking_days_ahead), markup
    label = service_with(service, flow.specialist)
    if booking is None:
        text = t(lang, "choose_date", service=label)
    else:
        text = t(
            lang,
            "choose_date_reschedule",
            service=label,
            date=ddmm(local(booking.starts_at, settings.timezone).date()),
            time=hhmm(booking.starts_at, settings.timezone),
        )
    if flow.acting.by_admin:
        text = f"👤 {client_link(flow.acting.client)}\n{text}"
    if settings.booking_days_ahead > keyboards.LIST_DAYS_UP_TO:
        markup = keyboards.month_grid(lang, service.id, days, month or days[0], scope=flow.scope, back_to=back_to)
    else:
        markup = keyboards.dates(lang, service.id, days, scope=flow.scope, back_to=back_to, page=page)
    if waitlist:
        *rows, footer = markup.inline_keyboard
        markup = InlineKeyboardMarkup(inline_keyboard=[*rows, *waitlist, footer])
    return text, markup


async def _times_view(
    booking_service: BookingService,
    lang: Lang,
    flow: Flow,
    day: date,
    *,
    notice: str | None = None,
    page: int = 0,
) -> tuple[str, InlineKeyboardMarkup | None]:
    service = flow.chosen
    starts = await booking_service.available_starts(
        service, day, utcnow(), specialist_id=flow.specialist_id, moving=flow.booking
    )
    if not starts:
        text, markup = await _dates_view(booking_service, lang, flow)
        if flow.booking is None and not flow.acting.by_admin:
            wait = keyboards.waitlist_day(lang, service.id, flow.specialist_id, day)
            markup = InlineKeyboardMarkup(inline_keyboard=[wait, *(markup.inline_keyboard if markup else [])])
        return f"{t(lang, 'no_times', day=day_label(lang, day))}\n\n{text}", markup
    text = t(lang, "choose_time", service=service_with(service, flow.specialist), day=day_label(lang, day))
    if notice:
        text = f"{notice}\n\n{text}"
    tz = booking_service.settings.timezone
    return text, keyboards.times(lang, service.id, starts, tz, scope=flow.scope, page=page)


async def own_day_view(
    booking_service: BookingService, lang: Lang, user: User, service: Service, specialist: Specialist | None, day: date
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A client's own new booking, at the times of a day (from outside the flow: the waitlist)."""
    return await _times_view(booking_service, lang, Flow(Acting(user, by_admin=False), None, service, specialist), day)


def _from_timestamp(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)
