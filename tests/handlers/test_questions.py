"""Every question the bot waits on is abandoned by a command, a menu button or time, and then captures nothing."""

import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.conversation import ASKED_AT
from database.engine import commit
from database.models import Admin, Booking, Broadcast, Feedback, Service, User, utcnow
from emulator import BotApiEmulator, EmulatedUser
from tests.handlers.conftest import FIRST_SPECIALIST, OWNER, Chat

CLIENT = 9100


async def add_booking(chat: Chat, starts_in: timedelta) -> int:
    async with chat.sessionmaker() as session:
        session.add(User(id=CLIENT, first_name="Client", language="en"))
        service = await session.scalar(select(Service))
        assert service is not None
        start = utcnow() + starts_in
        booking = Booking(
            specialist_id=FIRST_SPECIALIST,
            user_id=CLIENT,
            service_id=service.id,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
        )
        session.add(booking)
        await commit(session)
        return booking.id


async def count(chat: Chat, what: object) -> int:
    async with chat.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(what)) or 0


def forward_from(stub: BotApiEmulator, sender: EmulatedUser, origin: EmulatedUser) -> None:
    stub.push_update(
        {
            "message": {
                "message_id": 77,
                "from": sender.as_api(),
                "chat": {"id": sender.id, "type": "private", "first_name": sender.first_name},
                "date": int(time.time()),
                "text": "a message from the client",
                "forward_origin": {"type": "user", "date": int(time.time()), "sender_user": origin.as_api()},
            }
        }
    )


Probe = Callable[[], Awaitable[bool]]  # has the late answer taken effect?


async def cancel_reason(chat: Chat, stub: BotApiEmulator) -> tuple[EmulatedUser, Callable[[], None], Probe]:
    booking_id = await add_booking(chat, timedelta(days=1))
    owner = stub.user(OWNER, "Owner")
    owner.send("/start")
    await chat.process()
    owner.click_data(owner.messages()[-1], f"aca:{booking_id}")

    async def cancelled() -> bool:
        async with chat.sessionmaker() as session:
            booking = await session.get(Booking, booking_id)
            return booking is not None and booking.status == "cancelled"

    return owner, lambda: owner.send("Reason: the barber is ill"), cancelled


async def adding_admin(chat: Chat, stub: BotApiEmulator) -> tuple[EmulatedUser, Callable[[], None], Probe]:
    await add_booking(chat, timedelta(days=1))
    owner = stub.user(OWNER, "Owner")
    owner.send("/admins add")

    async def made_admin() -> bool:
        return await count(chat, Admin) > 0

    return owner, lambda: forward_from(stub, owner, stub.user(CLIENT, "Client")), made_admin


async def broadcast_message(chat: Chat, stub: BotApiEmulator) -> tuple[EmulatedUser, Callable[[], None], Probe]:
    owner = stub.user(OWNER, "Owner")
    owner.send("/broadcast")

    async def drafted() -> bool:
        return await count(chat, Broadcast) > 0

    return owner, lambda: owner.send("Closed on Monday"), drafted


async def feedback_comment(chat: Chat, stub: BotApiEmulator) -> tuple[EmulatedUser, Callable[[], None], Probe]:
    booking_id = await add_booking(chat, -timedelta(hours=3))
    client = stub.user(CLIENT, "Client")
    client.send("/start")
    await chat.process()
    client.click_data(client.messages()[-1], f"rate:{booking_id}:5")

    async def commented() -> bool:
        async with chat.sessionmaker() as session:
            return bool(await session.scalar(select(Feedback.comment).where(Feedback.booking_id == booking_id)))

    return client, lambda: client.send("Lovely, thank you"), commented


QUESTIONS = {
    "cancel_reason": cancel_reason,
    "adding_admin": adding_admin,
    "broadcast_message": broadcast_message,
    "feedback_comment": feedback_comment,
}


@pytest.mark.parametrize("question", QUESTIONS)
@pytest.mark.parametrize("left_by", ["nothing", "command", "menu_button", "button", "time"])
async def test_questions_are_abandoned_by_commands_menu_buttons_other_buttons_and_time(
    chat: Chat, stub: BotApiEmulator, question: str, left_by: str
) -> None:
    user, answer, took_effect = await QUESTIONS[question](chat, stub)
    await chat.process()
    assert await chat.pending_question(user.id) is not None, "the question is asked"

    if left_by == "command":
        user.send("/help")
    elif left_by == "menu_button":
        user.send("🗂 My bookings")
    elif left_by == "button":
        user.click_data(user.messages()[-1], "stop")  # the booking flow's "leave" button
    elif left_by == "time":
        key = chat.state_key(user.id)
        data = await chat.dispatcher.storage.get_data(key)
        expired = time.time() - chat.settings.question_timeout.total_seconds() - 1
        await chat.dispatcher.storage.set_data(key, {**data, ASKED_AT: expired})
    await chat.process()
    replies = len(user.messages())
    answer()
    await chat.process()

    if left_by == "nothing":
        assert await took_effect(), "an answer given in time is taken"
        return
    assert not await took_effect(), f"the answer after the question was left by {left_by} changed something"
    assert await chat.pending_question(user.id) is None
    late_reply = user.messages()[replies].text
    expected = "That question has expired" if left_by == "time" else "I did not understand"
    assert late_reply.startswith(expected), late_reply
    assert not stub.errors, stub.errors


@pytest.mark.parametrize(("question", "limit"), [("cancel_reason", 500), ("feedback_comment", 2000)])
async def test_questions_an_answer_too_long_is_refused_and_the_question_stays(
    chat: Chat, stub: BotApiEmulator, question: str, limit: int
) -> None:
    user, answer, took_effect = await QUESTIONS[question](chat, stub)
    await chat.process()
    user.send("x" * (limit + 1))
    await chat.process()
    assert f"{limit} characters" in user.messages()[-1].text
    assert not await took_effect()
    assert await chat.pending_question(user.id) is not None
    answer()
    await chat.process()
    assert await took_effect(), "a shorter answer is still taken"
