"""The emulator must refuse what Telegram refuses, or the tests prove nothing and the sandbox misleads."""

from html import escape

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator import ApiError, BotApiEmulator, parse_html, render_html


def test_emulator_parses_escaped_html() -> None:
    assert parse_html(f"Hi <b>{escape('<b>&')}</b>") == "Hi <b>&"


@pytest.mark.parametrize("html", ["Hi <b>&", "<b>x", "x</b>", "<div>x</div>", "a & b", "<b><i>x</b></i>", "1 < 2"])
def test_emulator_rejects_bad_entities(html: str) -> None:
    with pytest.raises(ApiError) as error:
        parse_html(html)
    assert error.value.code == 400
    assert "can't parse entities" in error.value.description


def test_emulator_rejects_long_texts_and_long_callback_data() -> None:
    with pytest.raises(ApiError, match="message is too long"):
        BotApiEmulator._checked_text("x" * 4097, "HTML")
    with pytest.raises(ApiError, match="BUTTON_DATA_INVALID"):
        BotApiEmulator._checked_markup('{"inline_keyboard": [[{"text": "a", "callback_data": "%s"}]]}' % ("x" * 65))
    assert BotApiEmulator._checked_text("x" * 4096, "HTML")


@pytest.mark.parametrize(
    ("telegram", "browser"),
    [
        ("Hi <b>&lt;b&gt;&amp;</b>", "Hi <b>&lt;b&gt;&amp;</b>"),
        ('<a href="tg://user?id=5">Ann</a>', '<span class="mention">Ann</span>'),
        (
            '<a href="https://example.com/?a=1&amp;b=2">site</a>',
            '<a href="https://example.com/?a=1&amp;b=2" rel="noopener noreferrer" target="_blank">site</a>',
        ),
        ('<a href="javascript:alert(1)">x</a>', '<span class="mention">x</span>'),
        ("<tg-spoiler>s</tg-spoiler> <i>i</i>", '<span class="spoiler">s</span> <i>i</i>'),
        ('<code class="language-python">x</code>', "<code>x</code>"),
    ],
)
def test_emulator_renders_telegram_html_for_a_browser(telegram: str, browser: str) -> None:
    assert render_html(telegram) == browser


@given(st.text())
def test_emulator_renders_any_escaped_text_as_the_same_text(text: str) -> None:
    shown = render_html(escape(text, quote=False))
    assert shown == escape(text, quote=False)
    assert "<" not in shown
