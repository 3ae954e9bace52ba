"""The stand-in must refuse what Telegram refuses, or the E2E tests prove nothing."""

from html import escape

import pytest

from tests.telegram_stub import ApiError, TelegramStub, parse_html


def test_telegram_stub_parses_escaped_html() -> None:
    assert parse_html(f"Hi <b>{escape('<b>&')}</b>") == "Hi <b>&"


@pytest.mark.parametrize("html", ["Hi <b>&", "<b>x", "x</b>", "<div>x</div>", "a & b", "<b><i>x</b></i>", "1 < 2"])
def test_telegram_stub_rejects_bad_entities(html: str) -> None:
    with pytest.raises(ApiError) as error:
        parse_html(html)
    assert error.value.code == 400
    assert "can't parse entities" in error.value.description


def test_telegram_stub_rejects_long_texts_and_long_callback_data() -> None:
    with pytest.raises(ApiError, match="message is too long"):
        TelegramStub._checked_text("x" * 4097, "HTML")
    with pytest.raises(ApiError, match="BUTTON_DATA_INVALID"):
        TelegramStub._checked_markup('{"inline_keyboard": [[{"text": "a", "callback_data": "%s"}]]}' % ("x" * 65))
    assert TelegramStub._checked_text("x" * 4096, "HTML")
