"""Instructions per update, counted by valgrind's callgrind: the same count on a fast machine and a slow one.

Each step of the booking flow (`/book`, a day, a time, confirm) is fed to the real dispatcher in process
(`Dispatcher.feed_raw_update`: main's middlewares, routers and services, real SQLite), with the Bot API
answered by a stand-in inside the process — no HTTP, so only the bot's own work is counted. The floor is a
minimal aiogram handler answering with one message, through the same Bot session; beside it, the same
handler reading its sender's row first (one `AsyncSession` select on the same database): what one round trip
through SQLAlchemy and aiosqlite adds, the least an update that must know its sender pays. One process runs them
all after a common setup and warm-up, calling libc's `qsort` around each batch of updates, where callgrind
writes out what it counted since its previous dump (`--dump-before=qsort*`); the process notes which part
each of its own calls wrote (another library's sort may write one too), so a batch's count is what was
written between its two marks, in every thread (SQLite's, the work after a commit). Each step runs a batch
of N updates and one of 2N: the difference over N is one update, without what a batch costs whatever its
size (the marks themselves, waiting for the work after the commits).

`python -m bench.instructions` prints the figures; `python -m bench --only instructions` records them.
"""

import argparse
import asyncio
import ctypes
import gc
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from itertools import count, pairwise
from pathlib import Path
from typing import Any

STEPS = ("floor", "floor_one_read", "book", "day", "time", "confirm")
ROOT = Path(__file__).resolve().parents[1]
Feed = Callable[[str, range], Awaitable[None]]
USER_BASE = 500_000
WARM_UP = 5


def per_update(updates: int) -> dict[str, Any]:
    """Instructions per update for every step, and the flow's steps as multiples of the floor."""
    if shutil.which("valgrind") is None:
        return {"error": "valgrind is not installed (apt-get install valgrind)"}
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "callgrind.out"
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--dump-before=qsort*",
                f"--callgrind-out-file={out}",
                sys.executable,
                "-m",
                "bench.instructions",
                "--target",
                str(updates),
                folder,
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        marks = json.loads((Path(folder) / "marks.json").read_text())
        totals = {int(part.name.rsplit(".", 1)[1]): _totals(part) for part in Path(folder).glob("callgrind.out.*")}
    batches = [sum(totals[n] for n in range(first + 1, last + 1)) for first, last in pairwise(marks)]
    counted = {step: (batches[2 * k + 1] - batches[2 * k]) // updates for k, step in enumerate(STEPS)}
    floor = counted["floor"]
    return {
        "updates_per_step": updates,
        "instructions": counted,
        "times_the_floor": {step: round(counted[step] / floor, 2) for step in STEPS if step != "floor"},
    }


def _totals(part: Path) -> int:
    found = re.search(r"^(?:totals|summary):\s+(\d+)", part.read_text(), flags=re.M)
    if found is None:
        raise RuntimeError(f"callgrind wrote no totals in {part}")
    return int(found.group(1))


def _mark(folder: str, marks: list[int]) -> None:
    """A call of libc's qsort, where callgrind writes a part out; noted by the number of that part."""
    pair = (ctypes.c_int * 2)(1, 2)
    ctypes.CDLL(None).qsort(pair, 2, ctypes.sizeof(ctypes.c_int), _NO_COMPARE)
    marks.append(len(list(Path(folder).glob("callgrind.out.*"))))


_NO_COMPARE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)(lambda _a, _b: 0)


async def _target(updates: int, folder: str) -> None:
    feed, close = await _prepared(updates, folder)
    marks: list[int] = []
    _mark(folder, marks)
    for step in STEPS:
        await feed(step, range(WARM_UP, WARM_UP + updates))
        _mark(folder, marks)
        await feed(step, range(WARM_UP + updates, WARM_UP + 3 * updates))
        _mark(folder, marks)
    (Path(folder) / "marks.json").write_text(json.dumps(marks))
    await close()


async def _prepared(updates: int, folder: str) -> tuple[Feed, Callable[[], Awaitable[None]]]:
    """The dispatchers ready, every sender known and every step warmed up: the step feeder, and the cleanup."""
    from bot.lazy_types import import_aiogram

    import_aiogram()
    from aiogram import Bot, Dispatcher, Router
    from aiogram.methods import TelegramMethod
    from aiogram.types import Chat, Message
    from apscheduler.jobstores.memory import MemoryJobStore
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from sqlalchemy import select

    import main
    from bot.callbacks import ConfirmBooking, DatePick, TimePick
    from bot.composer import Composer
    from bot.telegram_session import create_bot
    from database.engine import after_commit_work_done, create_engine, create_sessionmaker
    from database.migrate import upgrade_to_head
    from database.models import User
    from services import runtime
    from services.scheduling import ReminderJobs
    from tests.conftest import make_settings

    settings = make_settings(f"sqlite+aiosqlite:///{folder}/bot.db", slot_minutes=15, max_active_bookings=1000)
    engine = create_engine(settings.database_url)
    await upgrade_to_head(engine)
    sessionmaker = create_sessionmaker(engine)
    await main._ensure_default_service(sessionmaker, settings)
    scheduler = AsyncIOScheduler(jobstores={"default": MemoryJobStore()}, timezone="UTC")
    scheduler.start(paused=True)
    jobs = ReminderJobs(scheduler, settings)
    bot = create_bot(settings.bot_token)
    message_ids = count(1)
    answers: list[str] = []

    async def answer_in_process(_bot: Bot, method: TelegramMethod[Any], timeout: int | None = None) -> Any:  # noqa: ASYNC109 - make_request's signature
        chat_id = int(getattr(method, "chat_id", 0) or 0)
        answers.append(f"{type(method).__name__}: {getattr(method, 'text', None) or ''}")
        if method.__returning__ is bool:
            return True
        return Message(
            message_id=next(message_ids),
            date=datetime.now(UTC),
            chat=Chat(id=chat_id, type="private"),
            text=getattr(method, "text", None) or "",
        )

    bot.session.make_request = answer_in_process  # type: ignore[method-assign]
    storage, isolation = await main._create_fsm_storage(settings)
    booking_bot = main._create_dispatcher(settings, sessionmaker, jobs, storage, isolation)
    minimal_bot = Dispatcher()
    floor = Router()

    @floor.message()
    async def pong(message: Message) -> None:
        await message.answer("pong")

    minimal_bot.include_router(floor)
    minimal_reading_bot = Dispatcher()
    floor_one_read = Router()

    @floor_one_read.message()
    async def pong_to_a_known_sender(message: Message) -> None:
        async with sessionmaker() as session:
            await session.scalar(select(User).where(User.id == message.chat.id))
        await message.answer("pong")

    minimal_reading_bot.include_router(floor_one_read)
    runtime.install(
        runtime.Runtime(bot=bot, sessionmaker=sessionmaker, settings=settings, jobs=jobs, composer=Composer(settings))
    )

    update_ids = count(1)
    day = (datetime.now(UTC) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)

    def message(user_id: int, text: str) -> dict[str, Any]:
        sender = {"id": user_id, "is_bot": False, "first_name": f"Client {user_id}", "language_code": "en"}
        body: dict[str, Any] = {
            "message_id": next(message_ids),
            "from": sender,
            "chat": {"id": user_id, "type": "private"},
            "date": int(datetime.now(UTC).timestamp()),
            "text": text,
        }
        if text.startswith("/"):
            body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
        return {"update_id": next(update_ids), "message": body}

    def click(user_id: int, data: str) -> dict[str, Any]:
        shown = message(user_id, "…")["message"] | {"from": {"id": 1, "is_bot": True, "first_name": "Bot"}}
        sender = {"id": user_id, "is_bot": False, "first_name": f"Client {user_id}", "language_code": "en"}
        query = {"id": str(next(update_ids)), "from": sender, "message": shown, "chat_instance": "c", "data": data}
        return {"update_id": next(update_ids), "callback_query": query}

    def nth_update(step: str, n: int) -> dict[str, Any]:
        user_id = USER_BASE + n
        start = int((day + timedelta(minutes=15 * n)).timestamp())
        return {
            "floor": lambda: message(user_id, "ping"),
            "floor_one_read": lambda: message(user_id, "ping"),
            "book": lambda: message(user_id, "/book"),
            "day": lambda: click(user_id, DatePick(service_id=1, day=f"{day:%Y%m%d}").pack()),
            "time": lambda: click(user_id, TimePick(service_id=1, start=start).pack()),
            "confirm": lambda: click(user_id, ConfirmBooking(service_id=1, start=start).pack()),
        }[step]()

    async def feed(step: str, numbers: range) -> None:
        dispatcher = {"floor": minimal_bot, "floor_one_read": minimal_reading_bot}.get(step, booking_bot)
        for n in numbers:
            await dispatcher.feed_raw_update(bot, nth_update(step, n))
        await after_commit_work_done(sessionmaker)

    for n in range(WARM_UP + 3 * updates):  # every sender known, as a returning client is
        await booking_bot.feed_raw_update(bot, message(USER_BASE + n, "/start"))
    for step in STEPS:
        await feed(step, range(WARM_UP))
    gc.collect()
    gc.freeze()  # as main() does once the imports are done: long-lived objects out of every collection

    async def close() -> None:
        print("\n".join(answers[-2:]), file=sys.stderr)  # what the last update was answered, to check by eye
        runtime.uninstall()
        scheduler.shutdown(wait=False)
        await engine.dispose()

    return feed, close


def floor_ms(updates: int = 300) -> float:
    """CPU milliseconds of one update of the floor (the minimal handler), in process, in a process of its own:
    the reference the timing scenarios divide by, so that two machines' figures can be compared."""
    with tempfile.TemporaryDirectory() as folder:
        output = subprocess.run(
            [sys.executable, "-m", "bench.instructions", "--floor-ms", str(updates), folder],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    return float(output.strip().splitlines()[-1])


async def _floor_ms(updates: int, folder: str) -> float:
    feed, close = await _prepared(updates, folder)
    await feed("floor", range(WARM_UP, WARM_UP + updates))  # warm, as every step is before it is counted
    started = time.process_time()
    await feed("floor", range(WARM_UP + updates, WARM_UP + 3 * updates))
    per_update = (time.process_time() - started) / (2 * updates) * 1000
    await close()
    return round(per_update, 3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__)
    parser.add_argument("--updates", type=int, default=20, help="per step (default: 20)")
    parser.add_argument("--target", nargs=2, metavar=("UPDATES", "FOLDER"), help=argparse.SUPPRESS)
    parser.add_argument("--floor-ms", nargs=2, metavar=("UPDATES", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.floor_ms:
        updates, folder = args.floor_ms
        print(asyncio.run(_floor_ms(int(updates), folder)))
        return 0
    if args.target:
        updates, folder = args.target
        asyncio.run(_target(int(updates), folder))
        return 0
    print(json.dumps(per_update(args.updates), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
