import asyncio
from pathlib import Path
from typing import Any, cast

import main
from database.engine import create_engine, create_sessionmaker
from services import runtime


async def test_shutdown_waits_for_a_job_whose_task_was_created_but_has_not_run_yet(tmp_path: Path) -> None:
    """As APScheduler's executor leaves a job it hands over just before the pause: a task not yet started."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'shutdown.db'}")
    rt = runtime.Runtime(
        bot=cast(Any, None),
        sessionmaker=create_sessionmaker(engine),
        settings=cast(Any, None),
        jobs=cast(Any, None),
        composer=cast(Any, None),
    )
    finished: list[str] = []

    async def sweep() -> None:
        async with rt.tracked():
            await asyncio.sleep(0.2)
            finished.append("sweep")

    job = asyncio.create_task(sweep())
    try:
        await main._wait_for_in_flight(rt)
        assert finished == ["sweep"]
    finally:
        job.cancel()
        await engine.dispose()
