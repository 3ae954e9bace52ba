"""When a booking's reminders, its confirmation deadline and its feedback request are due. Pure functions of times.

The confirmation deadline (CONFIRM_BY before the start) is planned like a reminder: the `reminder_<id>` job
fires for it, and only the latest due item of the plan is ever sent.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.durations import format_duration

FEEDBACK_KIND = "feedback"
FEEDBACK_CATCH_UP = timedelta(days=1)
CONFIRM_BY_KIND = "confirm_by"


@dataclass(frozen=True, slots=True)
class PlannedReminder:
    offset: timedelta
    at: datetime
    deadline: bool = False  # the confirmation deadline, not a plain reminder

    @property
    def kind(self) -> str:
        return CONFIRM_BY_KIND if self.deadline else reminder_kind(self.offset)


def reminder_kind(offset: timedelta) -> str:
    return f"reminder_{format_duration(offset)}"


def offer_kind(start: datetime) -> str:
    """A waitlist offer of a start, in the notification log beside a booking's reminders."""
    return f"offer_{start:%Y%m%dT%H%M%S}"


def planned_reminders(
    starts_at: datetime, booked_at: datetime, offsets: Sequence[timedelta], confirm_by: timedelta | None = None
) -> list[PlannedReminder]:
    """Reminders that apply to a booking: offsets that were still ahead when it was booked.

    Earliest first. A booking made 5 hours ahead gets no 24h reminder, only the 2h one. The confirmation
    deadline comes after a reminder due at the same moment, which it stands in for.
    """
    plan = [PlannedReminder(offset, starts_at - offset) for offset in offsets]
    if confirm_by is not None:
        plan.append(PlannedReminder(confirm_by, starts_at - confirm_by, deadline=True))
    return sorted((item for item in plan if item.at > booked_at), key=lambda item: (item.at, item.deadline))


def next_reminder(
    starts_at: datetime,
    booked_at: datetime,
    offsets: Sequence[timedelta],
    now: datetime,
    confirm_by: timedelta | None = None,
) -> PlannedReminder | None:
    """The first planned reminder still in the future: where the `reminder_<id>` job belongs."""
    plan = planned_reminders(starts_at, booked_at, offsets, confirm_by)
    return next((item for item in plan if item.at > now), None)


def due_reminder(
    starts_at: datetime,
    booked_at: datetime,
    offsets: Sequence[timedelta],
    now: datetime,
    confirm_by: timedelta | None = None,
) -> PlannedReminder | None:
    """The most recent planned reminder that is due, if the appointment is still ahead.

    Only the latest one counts: an hour before the start a stale "tomorrow" is never sent.
    """
    if starts_at <= now:
        return None
    due = [item for item in planned_reminders(starts_at, booked_at, offsets, confirm_by) if item.at <= now]
    return due[-1] if due else None


def feedback_at(ends_at: datetime, feedback_after: timedelta) -> datetime:
    return ends_at + feedback_after


def feedback_still_wanted(ends_at: datetime, feedback_after: timedelta, now: datetime) -> bool:
    """Due, and not so late that asking would be odd (a day of catch-up after downtime)."""
    due = feedback_at(ends_at, feedback_after)
    return due <= now <= due + FEEDBACK_CATCH_UP
