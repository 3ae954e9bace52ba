from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.formatting import when_phrase
from bot.texts import TEXTS, pick_language

MOSCOW = ZoneInfo("Europe/Moscow")


def test_formatting_when_follows_the_local_calendar() -> None:
    now = datetime(2026, 11, 24, 20, 30, tzinfo=UTC)  # 23:30 in Moscow
    assert when_phrase("en", datetime(2026, 11, 24, 20, 45, tzinfo=UTC), now, MOSCOW) == "today at 23:45"
    assert when_phrase("en", datetime(2026, 11, 24, 21, 30, tzinfo=UTC), now, MOSCOW) == "tomorrow at 00:30"
    assert when_phrase("ru", datetime(2026, 11, 25, 11, 0, tzinfo=UTC), now, MOSCOW) == "завтра в 14:00"
    assert when_phrase("en", datetime(2026, 11, 26, 11, 0, tzinfo=UTC), now, MOSCOW) == "on 26.11 (Thu) at 14:00"


def test_formatting_language_follows_telegram_with_a_default() -> None:
    assert pick_language("ru", "en") == "ru"
    assert pick_language("en-GB", "ru") == "en"
    assert pick_language("de", "ru") == "ru"
    assert pick_language(None, "en") == "en"


def test_formatting_both_languages_have_every_text() -> None:
    assert TEXTS["ru"].keys() == TEXTS["en"].keys()
