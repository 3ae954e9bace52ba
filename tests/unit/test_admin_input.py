from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.admin_views import audit_change
from core.availability import Shift
from services.admin_input import parse_dates_hours, parse_day, parse_period, parse_week

TODAY = date(2026, 11, 24)
MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-12-31", date(2026, 12, 31)),
        ("31.12", date(2026, 12, 31)),
        ("01.01", date(2027, 1, 1)),
        ("24.11", TODAY),
        ("5.3.2027", date(2027, 3, 5)),
    ],
)
def test_admin_input_parses_days(text: str, day: date) -> None:
    assert parse_day(text, TODAY) == day


@pytest.mark.parametrize("text", ["", "tomorrow", "31.02", "2026-13-01", "12/31"])
def test_admin_input_rejects_bad_days(text: str) -> None:
    with pytest.raises(ValueError, match="not a date"):
        parse_day(text, TODAY)


def test_admin_input_whole_day_in_local_time() -> None:
    period = parse_period("2026-12-01", TODAY, MOSCOW)
    assert period.start == datetime(2026, 11, 30, 21, 0, tzinfo=UTC)
    assert period.end == datetime(2026, 12, 1, 21, 0, tzinfo=UTC)
    assert period.reason is None


def test_admin_input_range_of_days_with_reason() -> None:
    period = parse_period("24.12 31.12 winter holidays", TODAY, ZoneInfo("UTC"))
    assert (period.start, period.end) == (datetime(2026, 12, 24, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert period.reason == "winter holidays"


def test_admin_input_time_range_on_a_day() -> None:
    period = parse_period("2026-12-01 13:00-14:30 lunch", TODAY, MOSCOW)
    assert (period.start, period.end) == (
        datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
        datetime(2026, 12, 1, 11, 30, tzinfo=UTC),
    )
    assert period.reason == "lunch"


@pytest.mark.parametrize("text", ["", "2026-12-01 14:00-13:00", "31.12 24.12", "someday"])
def test_admin_input_rejects_bad_periods(text: str) -> None:
    with pytest.raises(ValueError, match=r"give a day|must end|not a date"):
        parse_period(text, TODAY, MOSCOW)


def test_admin_audit_change_lists_changed_fields_only() -> None:
    before = '{"status": "active", "starts_at": "x", "cancel_reason": null}'
    after = '{"status": "cancelled", "starts_at": "x", "cancel_reason": "ill"}'
    assert audit_change(before, after) == "status: active → cancelled; cancel_reason: — → ill"
    assert audit_change(None, '{"admin": 5}') == "admin: — → 5"
    assert audit_change(None, '{"reason": "' + "x" * 500 + '"}').endswith("…")


def test_admin_input_a_week_with_breaks_ranges_lists_both_languages_and_days_off() -> None:
    week = parse_week("mon-fri 09:00-13:00, 14:00-18:00; sat 10:00-15:00; sun off")
    assert week[0] == (Shift(540, 780), Shift(840, 1080))
    assert week[4] == week[0]
    assert week[5] == (Shift(600, 900),)
    assert week[6] == ()
    assert parse_week("пт-пн 18:00-02:00") == dict.fromkeys((4, 5, 6, 0), (Shift(1080, 1560),))
    assert parse_week("mon,wed 10:00-24:00") == {0: (Shift(600, 1440),), 2: (Shift(600, 1440),)}
    assert parse_week("вт выходной") == {1: ()}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "mon",
        "xyz 09:00-10:00",
        "mon 09:00-10:00; mon off",
        "mon 25:00-26:00",
        "mon 10:00-11:00 10:30-12:00",
        "mon 10:60-11:00",
        "mon 24:00-01:00",
        "mon 10:00-10:00",
    ],
)
def test_admin_input_a_week_that_cannot_be_read_is_refused_with_the_reason(text: str) -> None:
    with pytest.raises(ValueError, match=r".+"):
        parse_week(text)


def test_admin_input_dates_one_day_a_range_across_new_year_and_days_off() -> None:
    today = date(2026, 12, 2)
    one = parse_dates_hours("2026-12-31 10:00-14:00", today)
    assert (one.first, one.last, one.shifts, one.note) == (
        date(2026, 12, 31),
        date(2026, 12, 31),
        (Shift(600, 840),),
        None,
    )
    vacation = parse_dates_hours("28.12-05.01 winter break", today, day_off=True)
    assert (vacation.first, vacation.last, vacation.shifts) == (date(2026, 12, 28), date(2027, 1, 5), ())
    assert vacation.note == "winter break"
    with pytest.raises(ValueError, match="hours"):
        parse_dates_hours("31.12", today)
