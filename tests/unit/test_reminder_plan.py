from datetime import UTC, datetime, timedelta

from core.reminder_plan import (
    due_reminder,
    feedback_still_wanted,
    next_reminder,
    planned_reminders,
    reminder_kind,
)

H = timedelta(hours=1)
OFFSETS = (24 * H, 2 * H)
START = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


def test_reminder_plan_only_offsets_ahead_at_booking_time_apply() -> None:
    booked_5h_ahead = START - 5 * H
    assert [p.kind for p in planned_reminders(START, booked_5h_ahead, OFFSETS)] == ["reminder_2h"]
    booked_days_ahead = START - 72 * H
    plan = planned_reminders(START, booked_days_ahead, OFFSETS)
    assert [(p.kind, p.at) for p in plan] == [("reminder_1d", START - 24 * H), ("reminder_2h", START - 2 * H)]


def test_reminder_plan_next_is_the_first_still_ahead() -> None:
    booked = START - 72 * H
    assert next_reminder(START, booked, OFFSETS, START - 30 * H).at == START - 24 * H  # type: ignore[union-attr]
    assert next_reminder(START, booked, OFFSETS, START - 10 * H).at == START - 2 * H  # type: ignore[union-attr]
    assert next_reminder(START, booked, OFFSETS, START - H) is None


def test_reminder_plan_due_is_only_the_most_recent() -> None:
    booked = START - 72 * H
    assert due_reminder(START, booked, OFFSETS, START - 30 * H) is None
    assert due_reminder(START, booked, OFFSETS, START - 20 * H).kind == "reminder_1d"  # type: ignore[union-attr]
    an_hour_before = due_reminder(START, booked, OFFSETS, START - H)
    assert an_hour_before is not None
    assert an_hour_before.kind == "reminder_2h", "never a stale 'tomorrow' an hour before"
    assert due_reminder(START, booked, OFFSETS, START) is None, "nothing once it has started"


def test_reminder_plan_kinds_are_named_after_offsets() -> None:
    assert reminder_kind(2 * H) == "reminder_2h"
    assert reminder_kind(timedelta(minutes=30)) == "reminder_30m"


def test_reminder_plan_feedback_is_wanted_for_a_day_after_it_is_due() -> None:
    end = START + H
    assert not feedback_still_wanted(end, 2 * H, end + H)
    assert feedback_still_wanted(end, 2 * H, end + 2 * H)
    assert feedback_still_wanted(end, 2 * H, end + 20 * H)
    assert not feedback_still_wanted(end, 2 * H, end + 27 * H)
