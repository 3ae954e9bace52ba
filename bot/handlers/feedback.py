from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot import keyboards
from bot.callbacks import Rate
from bot.conversation import ask
from bot.handlers.refusals import refuse
from bot.replies import show
from bot.texts import Lang, t
from core.errors import BookingError, BookingNotActive, InputTooLong
from database.models import User
from services.booking import BookingService

router = Router(name=__name__)


class FeedbackStates(StatesGroup):
    comment = State()


@router.callback_query(Rate.filter())
async def rated(
    callback: CallbackQuery,
    callback_data: Rate,
    lang: Lang,
    user: User,
    booking_service: BookingService,
    state: FSMContext,
) -> None:
    try:
        await booking_service.rate(callback_data.booking_id, user.id, callback_data.rating)
    except BookingNotActive:
        await callback.answer(t(lang, "rate_not_yet"), show_alert=True)
        return
    except BookingError as error:
        await refuse(callback, lang, error)
        return
    await ask(state, FeedbackStates.comment, booking_id=callback_data.booking_id)
    await show(callback, t(lang, "rated", rating=callback_data.rating), keyboards.rating(callback_data.booking_id))
    await callback.answer("⭐" * callback_data.rating)


@router.message(StateFilter(FeedbackStates.comment), Command("skip"))
async def comment_skipped(message: Message, lang: Lang, state: FSMContext) -> None:
    await state.clear()
    await message.answer(t(lang, "comment_skipped"), reply_markup=keyboards.main_menu(lang))


@router.message(StateFilter(FeedbackStates.comment), F.text)
async def commented(
    message: Message, lang: Lang, user: User, booking_service: BookingService, state: FSMContext
) -> None:
    data = await state.get_data()
    await state.clear()
    try:
        await booking_service.comment(int(data["booking_id"]), user.id, message.text or "")
    except InputTooLong as error:
        await ask(state, FeedbackStates.comment, booking_id=data["booking_id"])
        await message.answer(t(lang, "comment_too_long", limit=error.limit))
        return
    except (BookingError, KeyError, ValueError):
        await message.answer(t(lang, "unknown"), reply_markup=keyboards.main_menu(lang))
        return
    await message.answer(t(lang, "comment_saved"), reply_markup=keyboards.main_menu(lang))


@router.message(StateFilter(FeedbackStates.comment))
async def comment_not_text(message: Message, lang: Lang) -> None:
    await message.answer(t(lang, "comment_text_only"))
