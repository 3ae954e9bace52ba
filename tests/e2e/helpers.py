import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Connection, create_engine, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from database.migrate import upgrade_to_head
from database.models import Booking, Service, User
from emulator import BotApiEmulator, EmulatedUser, SentMessage

FIRST_SPECIALIST = 1  # made by the migrations, as on a fresh install

TIME = re.compile(r"^\d{2}:\d{2}$")


def samples(text: str) -> dict[str, float]:
    """Prometheus text as {'name{label=value,...}': value}."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found


def time_buttons(message: SentMessage) -> list[dict[str, str]]:
    return [b for b in message.buttons() if TIME.match(b["text"])]


def start_of(button: dict[str, str]) -> datetime:
    """The UTC start a time button stands for (its callback data is tm:<service>:<unix>:<booking>)."""
    return datetime.fromtimestamp(int(button["callback_data"].split(":")[2]), UTC)


async def open_times(stub: BotApiEmulator, client: EmulatedUser, day_index: int = 0) -> SentMessage:
    client.send("/book")
    flow = await client.wait_message("Choose a day", after=len(client.messages()))
    client.click(flow, flow.buttons()[day_index]["text"])
    return await stub.wait_for(lambda: "Choose a time" in flow.text and flow, what="time buttons")


async def book(
    stub: BotApiEmulator, client: EmulatedUser, pick: int | None = None, after: datetime | None = None
) -> tuple[SentMessage, datetime]:
    """Book through the chat: the `pick`-th time on the first day, or the first start after `after`."""
    flow = await open_times(stub, client)
    buttons = time_buttons(flow)
    button = next(b for b in buttons if start_of(b) >= after) if after is not None else buttons[pick or 0]
    client.click(flow, button["text"])
    await stub.wait_for(lambda: "Confirm?" in flow.text, what="the summary")
    client.click(flow, "✅")
    await stub.wait_for(lambda: "Booked" in flow.text, what="the booking confirmation")
    return flow, start_of(button)


@contextmanager
def database(database_url: str) -> Iterator[Connection]:
    """A plain synchronous connection to the bot's database, for seeding and checking from tests."""
    url = make_url(database_url)
    url = url.set(drivername="sqlite" if url.get_backend_name() == "sqlite" else "postgresql+psycopg2")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        engine.dispose()


def saved_name(database_url: str, user_id: int) -> str | None:
    """The first name the bot has stored for a user, if it has saved them yet."""
    with database(database_url) as connection:
        return connection.scalar(select(User.first_name).where(User.id == user_id))


async def until_saved(stub: BotApiEmulator, database_url: str, client: EmulatedUser) -> None:
    """A new client whose first message only read is saved just after the answer to it."""
    await stub.wait_for(lambda: saved_name(database_url, client.id) is not None, what=f"user {client.id} saved")


async def seed_bookings(
    database_url: str, starts: dict[int, datetime], length: timedelta = timedelta(seconds=5)
) -> None:
    """Migrate the bot's database and give each client (user id -> start) a booking made a day ago.

    For scenarios about what happens around a reminder, not about booking: any start to the second,
    and as many clients as wanted.
    """
    engine = create_async_engine(database_url)
    try:
        await upgrade_to_head(engine)
        if not starts:
            return
        booked_at = datetime.now(UTC) - timedelta(days=1)
        async with engine.begin() as connection:
            service_id = await connection.scalar(
                insert(Service).values(name="Visit", duration_minutes=1).returning(Service.id)
            )
            await connection.execute(
                insert(User), [{"id": client, "first_name": f"Client {client}"} for client in starts]
            )
            # Latest first: SQLite's overlap trigger then finds no earlier booking to compare with (linear, not
            # quadratic, for the benchmark's 100 000).
            await connection.execute(
                insert(Booking),
                [
                    {
                        "user_id": client,
                        "service_id": service_id,
                        "specialist_id": FIRST_SPECIALIST,
                        "starts_at": start,
                        "ends_at": start + length,
                        "booked_at": booked_at,
                    }
                    for client, start in sorted(starts.items(), key=lambda item: item[1], reverse=True)
                ],
            )
    finally:
        await engine.dispose()
