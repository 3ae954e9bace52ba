import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.availability import Interval, Shift, Week, WorkSchedule, days_with_free_starts, free_starts

HOUR = timedelta(hours=1)
QUARTER = timedelta(minutes=15)
MONDAY = date(2026, 11, 23)


def schedule(
    work_days: frozenset[int] = frozenset({1, 2, 3, 4, 5}),
    work_start: time = time(9),
    work_end: time = time(18),
    week: Week | None = None,
    **overrides: object,
) -> WorkSchedule:
    values: dict[str, object] = {
        "tz": ZoneInfo("UTC"),
        "week": week or Week.uniform(work_days, work_start, work_end),
        "slot_step": HOUR,
        "days_ahead": 14,
        "min_lead": HOUR,
    }
    values.update(overrides)
    return WorkSchedule(**values)  # type: ignore[arg-type]


def admin_text(day: date, hour: int, minute: int = 0, tz: str = "UTC") -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def hours(starts: list[datetime], tz: str = "UTC") -> list[str]:
    return [s.astimezone(ZoneInfo(tz)).strftime("%H:%M") for s in starts]


def test_availability_grid_keeps_the_whole_service_inside_opening_hours() -> None:
    starts = schedule().grid_starts(MONDAY, 90 * timedelta(minutes=1))
    assert hours(starts) == ["09:00", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00", "16:00"]


def test_availability_days_off_have_no_slots() -> None:
    assert schedule().grid_starts(date(2026, 11, 28), HOUR) == []  # Saturday


def test_availability_honours_lead_time() -> None:
    now = admin_text(MONDAY, 10, 30)
    assert hours(free_starts(schedule(), MONDAY, HOUR, [], now))[0] == "12:00"


def test_availability_stops_at_days_ahead() -> None:
    now = admin_text(MONDAY, 8)
    days = days_with_free_starts(schedule(days_ahead=3), HOUR, [], now)
    assert days == [MONDAY, MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)]
    window_end_day = free_starts(schedule(days_ahead=3), MONDAY + timedelta(days=3), HOUR, [], now)
    assert window_end_day == [], "Thursday 09:00 is past now + 3 days (Thursday 08:00)"


def test_availability_overlap_with_longer_services() -> None:
    busy = [Interval(admin_text(MONDAY, 10), admin_text(MONDAY, 11, 30))]
    now = admin_text(MONDAY, 0)
    one_hour = hours(free_starts(schedule(), MONDAY, HOUR, busy, now))
    assert "10:00" not in one_hour
    assert "11:00" not in one_hour
    assert "09:00" in one_hour
    assert "12:00" in one_hour
    two_hours = hours(free_starts(schedule(), MONDAY, 2 * HOUR, busy, now))
    assert "09:00" not in two_hours, "09:00-11:00 would run into the 10:00 booking"
    assert two_hours[0] == "12:00"


def test_availability_blocked_periods_count_as_busy() -> None:
    lunch = [Interval(admin_text(MONDAY, 13), admin_text(MONDAY, 14))]
    assert "13:00" not in hours(free_starts(schedule(), MONDAY, HOUR, lunch, admin_text(MONDAY, 0)))


def test_availability_slots_are_local_time_converted_to_utc() -> None:
    moscow = schedule(tz=ZoneInfo("Europe/Moscow"))
    starts = moscow.grid_starts(MONDAY, HOUR)
    assert starts[0] == datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    assert all(s.tzinfo is UTC for s in starts)


def test_availability_dst_spring_forward_skips_the_missing_hour() -> None:
    berlin = schedule(
        tz=ZoneInfo("Europe/Berlin"), work_days=frozenset(range(1, 8)), work_start=time(0), work_end=time(5)
    )
    day = date(2026, 3, 29)  # 02:00 → 03:00
    starts = berlin.grid_starts(day, HOUR)
    assert hours(starts, "Europe/Berlin") == ["00:00", "01:00", "03:00", "04:00"]
    assert starts[2] - starts[1] == HOUR, "01:00 and 03:00 are one real hour apart"


def test_availability_dst_fall_back_measures_real_time() -> None:
    berlin = schedule(
        tz=ZoneInfo("Europe/Berlin"), work_days=frozenset(range(1, 8)), work_start=time(0), work_end=time(4)
    )
    day = date(2026, 10, 25)  # 03:00 → 02:00: the night has five real hours before 04:00
    starts = berlin.grid_starts(day, HOUR)
    assert hours(starts, "Europe/Berlin") == ["00:00", "01:00", "02:00", "03:00"]
    closing = admin_text(day, 4, tz="Europe/Berlin")
    assert all(s + HOUR <= closing for s in starts)


def test_availability_end_of_day_slot_fits_exactly() -> None:
    starts = schedule(work_end=time(17, 30), slot_step=timedelta(minutes=30)).grid_starts(MONDAY, HOUR)
    assert hours(starts)[-1] == "16:30"


def test_availability_free_starts_agree_with_checking_every_slot_against_every_busy_interval() -> None:
    rng = random.Random(7)
    for tz, day in (("UTC", MONDAY), ("Europe/Berlin", date(2026, 3, 29)), ("Europe/Berlin", date(2026, 10, 25))):
        every_day = schedule(
            tz=ZoneInfo(tz), work_days=frozenset(range(1, 8)), work_start=time(0), work_end=time(20), slot_step=QUARTER
        )
        opening = every_day.span(day)
        assert opening is not None
        for _ in range(200):
            busy = []
            for _ in range(rng.randint(0, 12)):
                start = opening.start + rng.randint(-4, 84) * QUARTER
                busy.append(Interval(start, start + rng.randint(1, 8) * QUARTER))
            duration = rng.randint(1, 6) * QUARTER
            now = opening.start + rng.randint(-8, 40) * QUARTER
            window = every_day.booking_window(now)
            expected = [
                start
                for start in every_day.grid_starts(day, duration)
                if window.start <= start <= window.end
                and not any(Interval(start, start + duration).overlaps(taken) for taken in busy)
            ]
            assert free_starts(every_day, day, duration, busy, now) == expected


def test_availability_a_lunch_break_a_night_shift_and_a_dated_exception() -> None:
    week = Week(
        (
            (Shift.of(time(9), time(13)), Shift.of(time(14), time(18))),
            (Shift.of(time(18), time(2)),),
            (),
            (),
            (),
            (),
            (),
        ),
        exceptions=((MONDAY + timedelta(days=7), ()),),
    )
    shaped = schedule(week=week)
    assert hours(shaped.grid_starts(MONDAY, HOUR)) == [
        "09:00",
        "10:00",
        "11:00",
        "12:00",
        "14:00",
        "15:00",
        "16:00",
        "17:00",
    ]
    tuesday = MONDAY + timedelta(days=1)
    night = shaped.grid_starts(tuesday, HOUR)
    assert hours(night) == ["18:00", "19:00", "20:00", "21:00", "22:00", "23:00", "00:00", "01:00"]
    assert night[-1].date() == tuesday + timedelta(days=1), "01:00 is the next morning, on Tuesday's list"
    assert shaped.offers(night[-1], HOUR)
    assert not shaped.offers(admin_text(tuesday, 2), HOUR)
    assert shaped.grid_starts(MONDAY + timedelta(days=7), HOUR) == [], "a day off on one date"


def test_availability_a_buffer_after_a_booking_is_kept_free() -> None:
    busy = [Interval(admin_text(MONDAY, 10), admin_text(MONDAY, 11, 30))]  # 10:00-11:00 and a 30' buffer
    now = admin_text(MONDAY, 0)
    free = hours(free_starts(schedule(), MONDAY, HOUR, busy, now, buffer=timedelta(minutes=30)))
    assert "09:00" not in free, "09:00-10:00 and its own buffer would run into the 10:00 booking"
    assert "11:00" not in free
    assert "12:00" in free
