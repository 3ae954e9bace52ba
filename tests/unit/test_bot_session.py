"""The bot's session sends and reads exactly what aiogram's would, only cheaper for keyboards."""

import json

import pytest
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import EditMessageText, SendMessage
from aiogram.types import (
    CopyTextButton,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    WebAppInfo,
)

from bot.telegram_session import BotSession, create_bot
from emulator import TOKEN

INLINE = InlineKeyboardMarkup(
    inline_keyboard=[
        [InlineKeyboardButton(text="12:00 <b>&", callback_data="tm:1:1700000000:0:0:0")],
        [
            InlineKeyboardButton(text="Site", url="https://example.com/?a=1&b=2"),
            InlineKeyboardButton(text="App", web_app=WebAppInfo(url="https://example.com/app")),
            InlineKeyboardButton(text="Copy", copy_text=CopyTextButton(text="«quoted»")),
        ],
    ]
)
REPLY = ReplyKeyboardMarkup(
    keyboard=[[KeyboardButton(text="📅 Book"), KeyboardButton(text="Phone", request_contact=True)]],
    resize_keyboard=True,
    is_persistent=True,
)


@pytest.mark.parametrize("markup", [INLINE, REPLY], ids=["inline", "reply"])
async def test_bot_session_sends_a_keyboard_as_aiogram_would(
    markup: InlineKeyboardMarkup | ReplyKeyboardMarkup,
) -> None:
    bot = create_bot(TOKEN)
    method = SendMessage(chat_id=1, text="Pick", reply_markup=markup)
    ours, theirs = bot.session.build_form_data(bot, method), AiohttpSession().build_form_data(bot, method)
    fields = {field[0]["name"]: field[2] for field in ours._fields}
    expected = {field[0]["name"]: field[2] for field in theirs._fields}
    assert json.loads(fields.pop("reply_markup")) == json.loads(expected.pop("reply_markup"))
    assert fields == expected
    await bot.session.close()


def _answer(markup: dict[str, object] | None, ok: bool = True) -> str:
    message = {"message_id": 5, "date": 1700000000, "chat": {"id": 1, "type": "private"}, "text": "Pick"}
    if markup is not None:
        message["reply_markup"] = markup
    return json.dumps({"ok": True, "result": message} if ok else {"ok": False, "error_code": 400, "description": "x"})


async def test_bot_session_reads_an_edited_message_as_aiogram_would() -> None:
    bot = create_bot(TOKEN)
    method = EditMessageText(chat_id=1, message_id=5, text="Pick", reply_markup=INLINE)
    echoed = _answer(INLINE.model_dump(mode="json", exclude_none=True))
    ours = bot.session.check_response(bot, method, 200, echoed).result
    theirs = AiohttpSession().check_response(bot, method, 200, echoed).result
    assert ours.model_dump() == theirs.model_dump()
    assert ours.bot is bot, "bound to the bot, as aiogram binds what it reads"
    assert ours.reply_markup is INLINE, "the keyboard sent, not a copy parsed back"
    plain = _answer(None)
    assert (
        bot.session.check_response(bot, method, 200, plain).result
        == AiohttpSession().check_response(bot, method, 200, plain).result
    )
    with pytest.raises(TelegramBadRequest):
        bot.session.check_response(bot, method, 400, _answer(None, ok=False))
    assert isinstance(bot.session, BotSession)
    await bot.session.close()
