"""Runs the real bot (`python main.py`) as a child process pointed at the Bot API stand-in."""

import asyncio
import os
import signal
import sys
from pathlib import Path

from emulator import TOKEN, BotApiEmulator

ROOT = Path(__file__).resolve().parents[2]

# The e2e schedule is open around the clock so tests never depend on the time of day.
BASE_ENV = {
    "BOT_TOKEN": TOKEN,
    "WORK_DAYS": "1-7",
    "WORK_START": "00:00",
    "WORK_END": "23:59",
    "BOOKING_MIN_LEAD": "5m",
    "CANCEL_CUTOFF": "1m",
    "DEFAULT_LANGUAGE": "en",
    "LOG_LEVEL": "INFO",
}


class BotProcess:
    def __init__(self, stub: BotApiEmulator, workdir: Path, env: dict[str, str]) -> None:
        self.stub = stub
        self.workdir = workdir
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_", "DB_"))},
            **BASE_ENV,
            "TELEGRAM_API_URL": stub.url,
            **env,
        }
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    @property
    def log_path(self) -> Path:
        return self.workdir / f"bot-{self.starts}.log"

    async def start(self, *, wait_polling: bool = True) -> None:
        self.starts += 1
        polls_before = self.stub.calls.get("getUpdates", 0)
        log = self.log_path.open("wb")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "main.py"), cwd=self.workdir, env=self.env, stdout=log, stderr=log
        )
        log.close()
        if wait_polling:
            await self.stub.wait_for(
                lambda: self.stub.calls.get("getUpdates", 0) > polls_before or self._exited(),
                timeout=30,
                what="the bot to start polling",
            )
            if self._exited():
                raise AssertionError(f"the bot exited during startup:\n{self.logs()}")

    async def wait_exit(self, timeout: float = 30) -> int:
        assert self.process is not None
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def terminate(self) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await self.wait_exit()

    async def kill(self) -> None:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()

    def _exited(self) -> bool:
        return self.process is not None and self.process.returncode is not None

    def logs(self) -> str:
        parts = []
        for n in range(1, self.starts + 1):
            path = self.workdir / f"bot-{n}.log"
            if path.exists():
                parts.append(f"--- run {n} ---\n{path.read_text(errors='replace')}")
        return "\n".join(parts)
