from sqlalchemy import text

from emulator import BotApiEmulator
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import database, time_buttons


def add_services(database_url: str, *rows: tuple[str, int, bool]) -> list[int]:
    ids = []
    with database(database_url) as connection:
        for name, minutes, active in rows:
            ids.append(
                connection.execute(
                    text(
                        "INSERT INTO services (name, duration_minutes, is_active, created_at) "
                        "VALUES (:name, :minutes, :active, CURRENT_TIMESTAMP) RETURNING id"
                    ),
                    {"name": name, "minutes": minutes, "active": active},
                ).scalar_one()
            )
    return ids


async def test_service_choice_is_offered_when_several_services_are_active(
    stub: BotApiEmulator, bot_factory: BotFactory, database_url: str
) -> None:
    bot = bot_factory()
    await bot.start()
    trim, retired = add_services(database_url, ("Beard trim <i>", 30, True), ("Retired", 60, False))

    client = stub.user(4001, "Choosy")
    client.send("/book")
    flow = await client.wait_message("Which service")
    assert [b["text"] for b in flow.buttons()][:2] == ["Appointment · 60′", "Beard trim <i> · 30′"]
    assert "Retired" not in flow.text

    answer = await client.wait_answer(client.click_data(flow, f"svc:{retired}:0:0"))
    assert "no longer offered" in answer["text"]

    client.click(flow, "Beard trim")
    await stub.wait_for(lambda: "Choose a day" in flow.text, what="days")
    client.click(flow, flow.buttons()[0]["text"])
    await stub.wait_for(lambda: "Choose a time" in flow.text, what="times")
    client.click(flow, time_buttons(flow)[0]["text"])
    await stub.wait_for(lambda: "Confirm?" in flow.text, what="the summary")
    client.click(flow, "✅")
    await stub.wait_for(lambda: "Booked" in flow.text, what="the booking")
    assert "Beard trim <i>" in flow.text
    assert trim
    assert not stub.errors
