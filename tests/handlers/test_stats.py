"""/stats: the figures at once; the chart follows without holding up the admin's next message."""

import asyncio
from datetime import timedelta

from database.engine import commit
from database.models import Booking, BookingStatus, User, utcnow
from emulator import BotApiEmulator
from services import runtime
from tests.conftest import eventually
from tests.handlers.conftest import OWNER, Chat
from tests.handlers.test_staff import CLIENT, barbershop, say


async def test_stats_figures_come_first_and_the_chart_does_not_hold_up_the_next_message(
    chat: Chat, stub: BotApiEmulator
) -> None:
    chart_sent = stub.hold("sendPhoto")
    owner = stub.user(OWNER, "Owner")
    owner.send("/stats")
    await asyncio.wait_for(chat.process(), 10)
    assert owner.messages()[-1].text.startswith("Statistics"), owner.messages()[-1].text
    owner.send("/help")
    await asyncio.wait_for(chat.process(), 10)  # the update of /stats is over, though Telegram has the chart still
    assert "How it works" in owner.messages()[-1].text
    await stub.wait_for(lambda: stub.held == 1, what="the chart on its way")
    chart_sent.set()
    await eventually(lambda: not runtime.current().in_flight, what="the chart sent")
    assert [f.kind for f in stub.files] == ["photo"]
    assert not stub.errors, stub.errors


async def test_stats_no_show_and_confirmation_rates_overall_and_per_specialist(
    chat: Chat, stub: BotApiEmulator
) -> None:
    owner = await barbershop(chat, stub)
    now = utcnow().replace(second=0, microsecond=0)
    async with chat.sessionmaker() as session:
        session.add(User(id=CLIENT, first_name="Client"))
        # Anna: two visits came (one confirmed), one no-show; Boris: one confirmed visit ahead.
        for hours, specialist, status, confirmed in (
            (-50, 1, BookingStatus.COMPLETED, True),
            (-30, 1, BookingStatus.COMPLETED, False),
            (-10, 1, BookingStatus.NO_SHOW, False),
            (20, 2, BookingStatus.ACTIVE, True),
        ):
            start = now + timedelta(hours=hours)
            session.add(
                Booking(
                    user_id=CLIENT,
                    service_id=1,
                    specialist_id=specialist,
                    starts_at=start,
                    ends_at=start + timedelta(minutes=30),
                    status=status,
                    confirmed_at=start - timedelta(hours=3) if confirmed else None,
                    created_at=now - timedelta(days=3),
                )
            )
        await commit(session)
    end = (now + timedelta(days=2)).astimezone(chat.settings.timezone)
    start = (now - timedelta(days=4)).astimezone(chat.settings.timezone)
    figures = await say(chat, owner, f"/stats {start:%Y-%m-%d} {end:%Y-%m-%d}")
    assert "No-shows: 1 (33% of the visits with an outcome)" in figures
    assert "Confirmed from a reminder: 50% of the visits" in figures
    assert "👤 Anna: made 3, cancelled 0, completed 2, no-shows 33%, confirmed 33%" in figures
    assert "👤 Boris: made 1, cancelled 0, completed 0, no-shows —, confirmed 100%" in figures
