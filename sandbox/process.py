"""`python main.py --sandbox` as a process of its own, with hours made for a quick demonstration."""

import asyncio
import contextlib
import os
import re
import socket
import sys
from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path

MAIN = Path(__file__).resolve().parent.parent / "main.py"
ADDRESS = re.compile(r"open (http://\S+)")
STARTUP_SECONDS = 60


def demo_environment(now: datetime, reminder_in: timedelta = timedelta(seconds=30)) -> dict[str, str]:
    """Hours that open a minute or two from `now`, in a zone where it is midday (so today never ends on us), with
    half-hour slots; the reminder offset is chosen so that the first time, booked at once, is reminded
    `reminder_in` from `now`."""
    offset = 12 - now.hour
    zone = "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"  # POSIX signs: Etc/GMT-3 is UTC+3
    first_start = (now + timedelta(seconds=120)).replace(second=0, microsecond=0)
    opening = first_start + timedelta(hours=offset)
    return {
        "TIMEZONE": zone,
        "WORK_DAYS": "1-7",
        "WORK_START": f"{opening:%H:%M}",
        "WORK_END": f"{opening + timedelta(hours=4):%H:%M}",
        "SLOT_MINUTES": "30",
        "BOOKING_MIN_LEAD": "0s",
        "REMINDERS": f"{int((first_start - now - reminder_in).total_seconds())}s",
        "FEEDBACK_AFTER": "1d",
        "DEFAULT_LANGUAGE": "en",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def running_sandbox(workdir: Path, environment: Mapping[str, str]) -> AsyncIterator[str]:
    """`python main.py --sandbox` in `workdir` (its data/sandbox.db is made there): the page's address."""
    inherited = {name: value for name, value in os.environ.items() if name in ("PATH", "HOME", "LANG", "TMPDIR")}
    log = (workdir / "sandbox.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(MAIN),
        "--sandbox",
        cwd=workdir,
        env={**inherited, "WEB_PORT": str(free_port()), **environment},
        stdout=asyncio.subprocess.PIPE,
        stderr=log,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), STARTUP_SECONDS)
        found = ADDRESS.search(line.decode())
        if found is None:
            raise RuntimeError(f"the sandbox did not start: {line.decode()!r}; see {workdir / 'sandbox.log'}")
        yield found.group(1)
    finally:
        if process.returncode is None:
            process.terminate()
            await asyncio.wait_for(process.wait(), 30)
        log.close()
