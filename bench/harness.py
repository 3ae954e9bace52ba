"""What every scenario runs on: a database of each kind, the Bot API stand-in over HTTP, the real bot.

The stand-in, the bot process wrapper and the seeding are the test suite's own (tests/), so the figures
come from exactly the code paths the tests check.
"""

import asyncio
import gc
import os
import re
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from pathlib import Path

from emulator import BotApiEmulator
from tests.e2e.bot_process import BotProcess
from tests.postgres_server import admin_dsn, fresh_postgres_database

DATABASE_KINDS = ("sqlite", "postgresql")
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
# Telegram's ceiling for one bot: about 30 messages a second (the stand-in enforces it with 429s).
TELEGRAM_CEILING_PER_SECOND = 30
LOG_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}) ")


@contextmanager
def no_pauses_here() -> Iterator[None]:
    """No garbage collection in this process meanwhile: the stand-in plays Telegram, whose servers do not stop
    for it, and a full collection here (70 ms seen) would be counted as the bot's latency."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


@asynccontextmanager
async def workspace() -> AsyncIterator[Path]:
    with tempfile.TemporaryDirectory(prefix="bench-") as directory:
        yield Path(directory)


@asynccontextmanager
async def database(kind: str, workdir: Path) -> AsyncIterator[str]:
    """An empty database of `kind`: a SQLite file, or a fresh database on the test PostgreSQL server."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir / 'bot.db'}"
        return
    with fresh_postgres_database(admin_dsn(TEST_DATABASE_URL), TEST_DATABASE_URL) as url:
        yield url


@asynccontextmanager
async def stand_in(*, flood_limits: bool = True) -> AsyncIterator[BotApiEmulator]:
    stub = BotApiEmulator(flood_limits=flood_limits)
    await stub.start()
    try:
        yield stub
    finally:
        await stub.stop()


@asynccontextmanager
async def bot_process(stub: BotApiEmulator, workdir: Path, env: dict[str, str]) -> AsyncIterator[BotProcess]:
    """`python main.py` against the stand-in; started (polling) on entry, killed on exit."""
    process = BotProcess(stub, workdir, {"LOG_LEVEL": "INFO", **env})
    await process.start()
    try:
        yield process
    finally:
        await process.kill()


async def wait_for_log(process: BotProcess, text: str, give_up_after: float) -> datetime:
    """The time stamped on the first log line containing `text`, waiting for it to appear."""
    deadline = time.monotonic() + give_up_after
    while time.monotonic() < deadline:
        for line in process.log_path.read_text(errors="replace").splitlines():
            if text in line and (stamp := LOG_TIME.match(line)):
                return datetime.strptime(stamp[1], "%Y-%m-%d %H:%M:%S,%f")  # noqa: DTZ007 (the log's local time)
        await asyncio.sleep(0.05)
    raise TimeoutError(f"no log line with {text!r} after {give_up_after}s:\n{process.logs()[-3000:]}")


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), nearest-rank: a value that was actually observed."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def summary(values: Sequence[float], scale: float = 1.0, digits: int = 3) -> dict[str, float]:
    return {
        "p50": round(statistics.median(values) * scale, digits),
        "p95": round(percentile(values, 95) * scale, digits),
        "p99": round(percentile(values, 99) * scale, digits),
        "max": round(max(values) * scale, digits),
    }


class LoopLagProbe:
    """The longest time this event loop was blocked: a task asks to wake every `interval` and notes lateness.

    A stall still in progress when the phase ends (the probe never got to run) counts too.
    """

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.worst = 0.0
        self._asked_at = 0.0
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> "LoopLagProbe":
        self._asked_at = asyncio.get_running_loop().time()
        self._task = asyncio.create_task(self._run())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        self._note(asyncio.get_running_loop().time())

    def _note(self, now: float) -> None:
        self.worst = max(self.worst, now - self._asked_at - self.interval)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self._asked_at = loop.time()
            await asyncio.sleep(self.interval)
            self._note(loop.time())
