"""📅 on a booking: its calendar file (.ics), for the client to open in their calendar app."""

from aiogram import Bot, Router
from aiogram.types import BufferedInputFile, CallbackQuery

from bot import ics
from bot.callbacks import CalendarFile
from bot.formatting import booking_text
from bot.handlers.refusals import refuse
from bot.middlewares import READ_ONLY
from bot.texts import Lang
from core.errors import BookingError
from database.models import BookingStatus, User, utcnow
from services.booking import BookingService

router = Router(name=__name__)


@router.callback_query(CalendarFile.filter(), flags=READ_ONLY)
async def calendar_file(
    callback: CallbackQuery,
    callback_data: CalendarFile,
    lang: Lang,
    user: User,
    booking_service: BookingService,
    bot: Bot,
) -> None:
    try:
        booking = await booking_service.client_booking(callback_data.booking_id, user.id)
    except BookingError as error:
        await refuse(callback, lang, error)
        return
    several = await booking_service.several_specialists()
    settings = booking_service.settings
    me = await bot.me()
    content = ics.client_file(
        booking,
        lang,
        domain=ics.domain(bot.id),
        bot_username=me.username or "",
        several=several,
        location=settings.business_address,
        now=utcnow(),
    )
    key = "ics_caption_cancelled" if booking.status == BookingStatus.CANCELLED else "ics_caption"
    caption = booking_text(lang, key, booking, settings.timezone, with_specialist=several)
    await bot.send_document(user.id, BufferedInputFile(content, ics.file_name(booking)), caption=caption)
    await callback.answer()
