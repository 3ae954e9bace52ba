from aiogram import Router

from bot.handlers import (
    admin,
    booking,
    calendars,
    errors,
    fallback,
    feedback,
    my_bookings,
    specialist,
    start,
    waitlist,
)

# Commands that answer a pending question instead of abandoning it (bot.conversation).
QUESTION_COMMANDS = {feedback.FeedbackStates.comment.state: frozenset({"skip"})}


def routers() -> list[Router]:
    """Every feature router, in the order updates should meet them; the fallback comes last."""
    return [
        errors.router,
        start.router,
        admin.router,
        specialist.router,
        booking.router,
        my_bookings.router,
        waitlist.router,
        calendars.router,
        feedback.router,
        fallback.router,
    ]
