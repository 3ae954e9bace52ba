from datetime import time, timedelta

import pytest

from core.durations import format_duration, parse_clock, parse_duration, parse_durations, parse_weekdays


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45s", timedelta(seconds=45)),
        ("15m", timedelta(minutes=15)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("90", timedelta(minutes=90)),
        (" 2H ", timedelta(hours=2)),
        ("0s", timedelta(0)),
    ],
)
def test_parse_duration_accepts_units_and_bare_minutes(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "h", "2x", "-5m", "1.5h", "2 hours"])
def test_parse_duration_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_parse_durations_reads_a_list() -> None:
    assert parse_durations("24h, 2h,") == (timedelta(hours=24), timedelta(hours=2))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(hours=24), "1d"),
        (timedelta(hours=2), "2h"),
        (timedelta(minutes=90), "90m"),
        (timedelta(seconds=45), "45s"),
    ],
)
def test_format_duration_picks_the_largest_whole_unit(value: timedelta, text: str) -> None:
    assert format_duration(value) == text


def test_parse_clock_reads_hh_mm() -> None:
    assert parse_clock("9:05") == time(9, 5)
    for bad in ("24:00", "12:60", "noon", "12"):
        with pytest.raises(ValueError, match="HH:MM"):
            parse_clock(bad)


@pytest.mark.parametrize(
    ("text", "days"),
    [("1-5", {1, 2, 3, 4, 5}), ("1,3,5", {1, 3, 5}), ("1-7", set(range(1, 8))), ("1-3,6", {1, 2, 3, 6})],
)
def test_parse_weekdays_reads_lists_and_ranges(text: str, days: set[int]) -> None:
    assert parse_weekdays(text) == days


@pytest.mark.parametrize("text", ["0", "8", "5-1", "mon", "1-"])
def test_parse_weekdays_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="weekday"):
        parse_weekdays(text)
