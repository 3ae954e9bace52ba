import aiohttp

from emulator import BotApiEmulator
from tests.conftest import eventually
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import book, samples
from tests.ports import free_port


async def test_web_health_readiness_and_metrics(
    stub: BotApiEmulator, bot_factory: BotFactory, database_url: str
) -> None:
    port = free_port()
    await bot_factory(WEB_HOST="127.0.0.1", WEB_PORT=str(port)).start()
    client = stub.user(8001, "Metered")
    await book(stub, client)
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/healthz") as alive:
            assert alive.status == 200
        async with http.get(f"{base}/readyz") as ready:
            body = await ready.json()
            assert ready.status == 200, body
        assert body["ready"] is True
        assert body["database"]["ok"] is True
        assert body["database"]["ms"] > 0
        assert body["job_store"]["kind"] == ("postgresql" if "postgresql" in database_url else "memory")
        assert body["scheduler"] == "running"

        async def scrape() -> dict[str, float]:
            async with http.get(f"{base}/metrics") as scraped:
                assert scraped.status == 200
                assert scraped.headers["Content-Type"].startswith("text/plain")
                return samples(await scraped.text())

        async def counted() -> dict[str, float] | None:
            scraped = await scrape()
            return scraped if scraped["bot_bookings_created_total"] >= 1 else None

        # A booking is counted, after its jobs are added, just after its commit: the reply does not wait.
        metrics = await eventually(counted, timeout=10, what="the booking counted")
    assert metrics["bot_bookings_created_total"] == 1
    assert metrics["bot_runs_scheduler"] == 1
    assert metrics["bot_jobs_in_store"] >= 4  # the booking's feedback request and the three sweeps
    assert metrics["bot_update_handling_seconds_count"] >= 4  # /book, a day, a time, confirm
