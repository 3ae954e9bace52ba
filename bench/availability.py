"""The specialists scenario: how long the booking flow's heaviest reads take for "any specialist" in a busy
business — 10 specialists, 60 days bookable, 20 000 future bookings — in process, on both databases."""

import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, text

from bench.harness import database, no_pauses_here, summary, workspace
from config import Settings
from database.engine import commit, create_engine, create_sessionmaker
from database.migrate import upgrade_to_head
from database.models import Booking, Service, Specialist, User, utcnow
from emulator import TOKEN
from services.booking import BookingService
from services.catalog import Catalog

SPECIALISTS = 10
DAYS = 60
BOOKINGS = 20_000
CLIENTS = 2_000
SLOT = timedelta(minutes=15)


def settings_for(url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        bot_token=TOKEN,
        database_url=url,
        work_days="1-7",
        work_start="09:00",
        work_end="21:00",
        slot_minutes=15,
        booking_days_ahead=DAYS,
        booking_min_lead="0s",
        timezone="UTC",
    )


async def any_specialist(kind: str, samples: int) -> dict[str, Any]:
    """p50/p95 of building the days list and one day's times for "any specialist", after seeding."""
    async with workspace() as workdir, database(kind, workdir) as url:
        settings = settings_for(url)
        engine = create_engine(url)
        try:
            await upgrade_to_head(engine)
            sessionmaker = create_sessionmaker(engine)
            service_id = await _seed(sessionmaker)
            if kind == "postgresql":
                # As autovacuum does soon after a table grows: without statistics the planner reads the
                # bookings another way, two to three times slower, until it has run.
                async with engine.connect() as connection:
                    await connection.execute(text("ANALYZE"))
            days_s, times_s = [], []
            rng = random.Random(7)
            catalog = Catalog()  # the process's, as the bot's updates have
            with no_pauses_here():
                for _ in range(samples + 1):
                    async with sessionmaker() as session:
                        booking = BookingService(session, settings, None, catalog)  # type: ignore[arg-type]
                        service = await booking.active_service(service_id)
                        now = utcnow()
                        started = time.perf_counter()
                        days = await booking.available_days(service, now)
                        days_s.append(time.perf_counter() - started)
                        started = time.perf_counter()
                        await booking.available_starts(service, rng.choice(days), now)
                        times_s.append(time.perf_counter() - started)
            # The first of each is a cold start (statements compiled, the catalog read), as a process's first update.
            days_s, times_s = days_s[1:], times_s[1:]
        finally:
            await engine.dispose()
    return {
        "specialists": SPECIALISTS,
        "days_bookable": DAYS,
        "bookings": BOOKINGS,
        "days_list_ms": summary(days_s, scale=1000, digits=1),
        "day_times_ms": summary(times_s, scale=1000, digits=1),
    }


async def _seed(sessionmaker: Any) -> int:
    """10 specialists doing one 15-minute service, 09:00-21:00 every day, 20 000 bookings spread at random
    over their next 60 days (about 33 of each specialist's 48 slots a day): busy, with free times left."""
    rng = random.Random(1)
    today = utcnow().date() + timedelta(days=1)
    async with sessionmaker() as session:
        service = Service(name="Cut", duration_minutes=15)
        session.add(service)
        session.add_all(Specialist(name=f"Barber {n}", position=n, created_at=utcnow()) for n in range(1, SPECIALISTS))
        session.add_all(User(id=1_000_000 + n, first_name=f"Client {n}") for n in range(CLIENTS))
        await session.flush()
        specialist_ids = list(await session.scalars(select(Specialist.id)))
        slots = [
            (
                specialist,
                datetime.combine(today + timedelta(days=day), datetime.min.time(), tzinfo=UTC)
                + timedelta(hours=9)
                + slot * SLOT,
            )
            for specialist in specialist_ids
            for day in range(DAYS - 1)
            for slot in range(48)
        ]
        chosen = sorted(rng.sample(slots, BOOKINGS), key=lambda item: item[1], reverse=True)
        await session.execute(
            insert(Booking),
            [
                {
                    "user_id": 1_000_000 + n % CLIENTS,
                    "service_id": service.id,
                    "specialist_id": specialist,
                    "starts_at": start,
                    "ends_at": start + SLOT,
                    "occupied_until": start + SLOT,
                    "booked_at": utcnow(),
                }
                for n, (specialist, start) in enumerate(chosen)
            ],
        )
        await commit(session)
        return service.id
