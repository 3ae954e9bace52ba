"""The five scenarios of the benchmark. Each returns plain figures (JSON-ready) and prints them."""

import asyncio
import gc
import json
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench import availability
from bench.harness import (
    TELEGRAM_CEILING_PER_SECOND,
    LoopLagProbe,
    bot_process,
    cpu_seconds,
    database,
    no_pauses_here,
    peak_rss_mb,
    stand_in,
    summary,
    wait_for_log,
    workspace,
)
from bot.composer import Composer
from bot.telegram_session import create_bot
from config import Settings
from database.engine import after_commit, after_commit_work_done, commit, create_engine, create_sessionmaker
from database.migrate import upgrade_to_head
from database.models import Specialist, utcnow
from emulator import TOKEN, BotApiEmulator, EmulatedUser
from services import reminders, runtime
from services.scheduling import BookingTimes, ReminderJobs, create_scheduler
from tests.e2e.bot_process import ROOT
from tests.e2e.helpers import seed_bookings, time_buttons

Figures = dict[str, Any]


@dataclass(frozen=True)
class Sizes:
    reminders_spread: int  # punctuality: reminders falling due evenly over `window_s`
    window_s: float
    startup_margin_s: float  # the first one falls due this long after the seeding, once the bot is up
    burst: int
    restart_bookings: tuple[int, ...]
    import_runs: int
    clients: int
    interactive_runs: int  # the machine is noisy: the median of repeated runs is reported
    reconcile_bookings: int
    sweep_due: int
    conversation_users: int  # distinct users, each sending one update, for the conversation store's memory
    instruction_updates: int  # updates of each step counted by callgrind
    availability_samples: int  # "any specialist" reads timed in the busy business
    saturation: tuple[int, ...]  # clients booking at once, 5 specialists, one run each


FULL = Sizes(500, 60, 20, 1000, (0, 10_000, 100_000), 3, 100, 5, 10_000, 1000, 100_000, 20, 100, (100, 200, 400, 800))
QUICK = Sizes(50, 5, 7, 100, (1000,), 1, 10, 1, 500, 100, 10_000, 3, 10, (10, 20))  # a smoke run: a few minutes
FIRST_CLIENT = 100_000
REPLIES = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup"})
# The time was taken by someone else meanwhile, or began meanwhile (a run crossing the start of a slot): the bot
# offers a fresh choice.
OFFERED_AGAIN = "Please choose another one"


def report(name: str, figures: Figures) -> Figures:
    """Print the figures (raw samples go to the JSON only) and return them."""
    shown = {key: value for key, value in figures.items() if not isinstance(value, list)}
    print(f"  {name}: " + ", ".join(f"{key} {value}" for key, value in shown.items()), flush=True)
    return figures


def reminders_by_client(stub: BotApiEmulator) -> dict[int, list[float]]:
    sent: dict[int, list[float]] = {}
    for message in stub.sent:
        if "Reminder" in message.text:
            sent.setdefault(message.chat_id, []).append(message.sent_at)
    return sent


async def punctuality(kind: str, sizes: Sizes) -> Figures:
    """N reminders falling due spread over a window, to distinct clients: how late does each arrive?"""
    count, window = sizes.reminders_spread, sizes.window_s
    async with workspace() as workdir, database(kind, workdir) as url, stand_in() as stub:
        first_due = datetime.now(UTC) + timedelta(seconds=sizes.startup_margin_s)
        due = {FIRST_CLIENT + n: first_due + timedelta(seconds=window * n / count) for n in range(count)}
        starts = {client: at + timedelta(hours=1) for client, at in due.items()}
        await seed_bookings(url, starts, length=timedelta(milliseconds=50))
        env = {"DATABASE_URL": url, "REMINDERS": "1h", "FEEDBACK_AFTER": "1d"}
        async with bot_process(stub, workdir, env):
            await stub.wait_for(
                lambda: len(reminders_by_client(stub)) >= count, timeout=window + 90, what="every reminder"
            )
        sent = reminders_by_client(stub)
    lateness = [times[0] - due[client].timestamp() for client, times in sent.items()]
    return report(
        f"punctuality [{kind}]",
        {
            "reminders": count,
            "window_s": window,
            "lateness_s": summary(lateness),
            "duplicates": sum(len(t) - 1 for t in sent.values()),
            "lateness_samples": sorted(round(x, 4) for x in lateness),
        },
    )


async def burst(kind: str, sizes: Sizes) -> Figures:
    """N reminders all due at once (the sweep after downtime), against Telegram's flood limits."""
    count = sizes.burst
    async with workspace() as workdir, database(kind, workdir) as url, stand_in(flood_limits=True) as stub:
        soon = datetime.now(UTC) + timedelta(minutes=30)
        await seed_bookings(
            url,
            {FIRST_CLIENT + n: soon + timedelta(seconds=n) for n in range(count)},
            length=timedelta(milliseconds=500),
        )
        env = {"DATABASE_URL": url, "REMINDERS": "2h", "FEEDBACK_AFTER": "1d"}
        async with bot_process(stub, workdir, env):
            await stub.wait_for(
                lambda: len(reminders_by_client(stub)) >= count,
                timeout=count / 10 + 60,
                what="every reminder of the burst",
            )
            await asyncio.sleep(1)  # anything sent twice would arrive right behind
        sent = reminders_by_client(stub)
        floods = sum(1 for _, code, _ in stub.errors if code == 429)
    first, last = min(t[0] for t in sent.values()), max(t[0] for t in sent.values())
    rate = (count - 1) / (last - first)
    return report(
        f"burst [{kind}]",
        {
            "reminders": count,
            "seconds": round(last - first, 2),
            "ideal_seconds": round((count - 1) / TELEGRAM_CEILING_PER_SECOND, 2),
            "per_second": round(rate, 2),
            "share_of_ceiling": round(rate / TELEGRAM_CEILING_PER_SECOND, 3),
            "http_429": floods,
            "lost": count - len(sent),
            "duplicates": sum(len(t) - 1 for t in sent.values()),
        },
    )


async def naive_burst(sizes: Sizes) -> Figures:
    """What most bots do: a loop of bot.send_message against the same flood limits, errors logged and skipped."""
    count = sizes.burst
    async with stand_in(flood_limits=True) as stub:
        bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(stub.url)))
        lost = 0
        started = time.monotonic()
        try:
            for n in range(count):
                try:
                    await bot.send_message(FIRST_CLIENT + n, "Reminder: your appointment is today at 14:00")
                except TelegramAPIError:
                    lost += 1
        finally:
            await bot.session.close()
        elapsed = time.monotonic() - started
        floods = sum(1 for _, code, _ in stub.errors if code == 429)
    return report(
        "burst [naive send_message loop]",
        {"reminders": count, "seconds": round(elapsed, 2), "http_429": floods, "lost": lost, "duplicates": 0},
    )


def import_seconds(runs: int, module: str = "main") -> float:
    """How long importing `module` takes by itself: `main` is the floor under any restart (mostly aiogram's
    pydantic models); plain `aiogram` is the reference restarts are divided by, machine against machine.

    Timed inside the child: the interpreter's own start and its teardown of that heap are not part of it.
    """
    timer = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    timings = [
        float(
            subprocess.run([sys.executable, "-c", timer], cwd=ROOT, check=True, capture_output=True, text=True).stdout
        )
        for _ in range(runs)
    ]
    return round(statistics.median(timings), 2)


async def restart(kind: str, bookings: int) -> Figures:
    """From process start to serving updates, with N future bookings (PostgreSQL: the store already filled)."""
    async with workspace() as workdir, database(kind, workdir) as url, stand_in(flood_limits=False) as stub:
        now = datetime.now(UTC)
        spacing = timedelta(days=13) / max(bookings, 1)
        await seed_bookings(
            url,
            {FIRST_CLIENT + n: now + timedelta(days=1) + spacing * n for n in range(bookings)},
            length=min(spacing / 2, timedelta(minutes=30)),
        )
        env = {"DATABASE_URL": url, "REMINDERS": "24h,2h", "FEEDBACK_AFTER": "2h"}
        if kind == "postgresql":  # the first start fills the persistent job store; the restart is measured
            async with bot_process(stub, workdir, env) as first:
                await wait_for_log(first, "Reconciled", give_up_after=1800)
                await first.terminate()
        polls = stub.calls.get("getUpdates", 0)
        waiting = stub.user(FIRST_CLIENT - 1, "Waiting")
        waiting.send("/help")  # written while the bot was down: the first update it gets
        spawned_wall, spawned = datetime.now(), time.monotonic()  # noqa: DTZ005 (compared with the log's local time)
        async with bot_process(stub, workdir, env) as bot:
            serving = next(t for t, method, _ in stub.timeline if method == "getUpdates" and (polls := polls - 1) < 0)
            await waiting.wait_message("How it works", timeout=60)
            answered = next(t for t, method, chat in stub.timeline if method == "sendMessage" and chat == waiting.id)
            reconciled = await wait_for_log(bot, "Reconciled", give_up_after=1800)
            assert bot.process is not None
            rss = peak_rss_mb(bot.process.pid)
    return report(
        f"restart [{kind}, {bookings} bookings]",
        {
            "bookings": bookings,
            "to_serving_s": round(serving - spawned, 2),
            "to_first_reply_s": round(answered - spawned, 2),
            "to_reconciled_s": round((reconciled - spawned_wall).total_seconds(), 2),
            "peak_rss_mb": round(rss, 1),
        },
    )


THINK_SECONDS = (0.3, 1.5)  # a person reading the reply before the next click


async def interactive(kind: str, sizes: Sizes) -> Figures:
    """Simulated clients booking at the same time, each at a person's pace: from each click to the bot's reply.

    The clients start within the first second and pause 0.3-1.5 s between clicks, so their sessions overlap
    throughout; all clicking in the same millisecond would measure only the queue on one core. Each run is
    a fresh database and bot; the figures are the medians over the runs, each run's are kept beside them.
    """
    runs = [await _interactive_run(kind, sizes.clients) for _ in range(sizes.interactive_runs)]
    return report(
        f"interactive [{kind}], median of {len(runs)}",
        {
            "clients": sizes.clients,
            "runs": len(runs),
            "updates": runs[0]["updates"],
            "updates_per_second": statistics.median(run["updates_per_second"] for run in runs),
            "bot_cpu_ms_per_update": statistics.median(run["bot_cpu_ms_per_update"] for run in runs),
            "reply_ms": {q: statistics.median(run["reply_ms"][q] for run in runs) for q in runs[0]["reply_ms"]},
            "each_run": runs,
        },
    )


async def _interactive_run(kind: str, clients: int, specialists: int = 1, *, saturating: bool = False) -> Figures:
    latencies: list[float] = []
    async with workspace() as workdir, database(kind, workdir) as url, stand_in(flood_limits=False) as stub:
        env = {"DATABASE_URL": url, "SLOT_MINUTES": "15", "BOOKING_MIN_LEAD": "0s", "MAX_ACTIVE_BOOKINGS": "5"}
        if specialists > 1:
            await _add_specialists(url, specialists - 1)
        async with bot_process(stub, workdir, env) as bot:
            # A process that has run for a while has built its caches (pydantic answer models, compiled
            # queries): one client goes through the flow first, unmeasured.
            await _book_as(stub, stub.user(FIRST_CLIENT - 1, "Warm-up"), [])
            assert bot.process is not None
            with no_pauses_here():
                started, cpu_before = time.monotonic(), cpu_seconds(bot.process.pid)
                try:
                    outcomes = await asyncio.gather(
                        *(
                            _book_as(stub, stub.user(FIRST_CLIENT + n, f"Client {n}"), latencies, saturating=saturating)
                            for n in range(clients)
                        )
                    )
                except AssertionError as error:
                    raise AssertionError(f"{error}\n--- the end of the bot's log:\n{bot.logs()[-5000:]}") from None
                elapsed, cpu_used = time.monotonic() - started, cpu_seconds(bot.process.pid) - cpu_before
    return report(
        f"interactive [{kind}] run",
        {
            "updates": len(latencies),
            "updates_per_second": round(len(latencies) / elapsed, 1),
            "bot_cpu_ms_per_update": round(cpu_used * 1000 / len(latencies), 1),
            "reply_ms": summary(latencies, scale=1000, digits=1),
            "booked": outcomes.count("booked"),
            "slot_taken_meanwhile": outcomes.count("taken"),
            "gave_up": outcomes.count("gave up"),
        },
    )


class GaveUp(Exception):
    """A client who waited longer than REPLY_TIMEOUT_S for a reply (only while finding the saturation point)."""


REPLY_TIMEOUT_S = 60


async def _book_as(
    stub: BotApiEmulator, client: EmulatedUser, latencies: list[float], *, saturating: bool = False
) -> str:
    """/book → a day → a time → confirm, timing each step from the update to the bot's first reply."""
    try:
        return await _book_steps(stub, client, latencies, saturating)
    except GaveUp:
        return "gave up"


async def _book_steps(stub: BotApiEmulator, client: EmulatedUser, latencies: list[float], saturating: bool) -> str:
    rng = random.Random(client.id)
    await asyncio.sleep(rng.uniform(0, 1))
    first = True

    async def step(act: Any, expect: Any) -> Any:
        nonlocal first
        if not first:
            await asyncio.sleep(rng.uniform(*THINK_SECONDS))
        first = False
        pushed = time.monotonic()
        act()
        try:
            result = await stub.wait_for(expect, timeout=REPLY_TIMEOUT_S, what=f"a reply to client {client.id}")
        except AssertionError:
            if not saturating:
                raise
            latencies.append(REPLY_TIMEOUT_S)  # past saturation: counted as the longest wait, and the client gives up
            raise GaveUp from None
        replied = next(
            t for t, method, chat in stub.timeline if chat == client.id and t >= pushed and method in REPLIES
        )
        latencies.append(replied - pushed)
        return result

    flow = await step(
        lambda: client.send("/book"),
        lambda: next((m for m in client.messages() if "day" in m.text or "Who would" in m.text), None),
    )
    if "Who would" in flow.text:  # several specialists: anyone, or one of them
        people = [b for b in flow.buttons() if b["text"].startswith(("👥", "👤"))]
        await step(lambda: client.click(flow, rng.choice(people)["text"]), lambda: "day" in flow.text)
    await step(lambda: client.click(flow, rng.choice(flow.buttons()[:7])["text"]), lambda: "time" in flow.text)
    await step(
        lambda: client.click(flow, rng.choice(time_buttons(flow))["text"]),
        lambda: "Confirm?" in flow.text or OFFERED_AGAIN in flow.text,
    )
    if "Confirm?" not in flow.text:
        return "taken"
    await step(lambda: client.click(flow, "✅"), lambda: "Booked" in flow.text or OFFERED_AGAIN in flow.text)
    return "booked" if "Booked" in flow.text else "taken"


async def specialists(kind: str, sizes: Sizes) -> Figures:
    """Issue 14's targets: "any specialist" reads in a busy business (in process); 100 clients booking with 5
    specialists; and the saturation curve, to know where one process stops keeping up."""
    reads = await availability.any_specialist(kind, sizes.availability_samples)
    report(f"specialists [{kind}] reads", reads)
    five = {"clients": sizes.clients, **await _interactive_run(kind, sizes.clients, specialists=5)}
    curve = []
    for clients in sizes.saturation:
        run = await _interactive_run(kind, clients, specialists=5, saturating=True)
        curve.append({"clients": clients, **{key: run[key] for key in ("updates_per_second", "reply_ms", "gave_up")}})
    return {"reads": reads, "interactive_5": five, "saturation": curve}


async def _add_specialists(url: str, count: int) -> None:
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine)
        async with create_sessionmaker(engine)() as session:
            session.add_all(Specialist(name=f"Barber {n}", position=n, created_at=utcnow()) for n in range(count))
            await commit(session)
    finally:
        await engine.dispose()


async def loop_health(kind: str, sizes: Sizes) -> Figures:
    """The longest event-loop stall while reconciling at startup, sweeping 1 000 due reminders, adding 1 000 jobs.

    Run in this process on the real services, with a lag probe on the same loop.
    """
    future, due = sizes.reconcile_bookings, sizes.sweep_due
    stalls: dict[str, float] = {}
    async with workspace() as workdir, database(kind, workdir) as url, stand_in(flood_limits=True) as stub:
        now = datetime.now(UTC)
        await seed_bookings(
            url,
            {FIRST_CLIENT + n: now + timedelta(days=1, minutes=n) for n in range(future)}
            | {FIRST_CLIENT + future + n: now + timedelta(minutes=30, seconds=n) for n in range(due)},
            length=timedelta(milliseconds=500),
        )
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            bot_token=TOKEN,
            database_url=url,
            telegram_api_url=stub.url,
            reminders="24h,2h",
            default_language="en",
        )
        gc.collect()
        gc.freeze()  # as main() does once the imports are done
        engine = create_engine(settings.database_url)
        await upgrade_to_head(engine)
        sessionmaker = create_sessionmaker(engine)
        scheduler, store = create_scheduler(settings)
        scheduler.start(paused=True)
        jobs = ReminderJobs(scheduler, settings)
        bot = create_bot(TOKEN, stub.url)
        runtime.install(
            runtime.Runtime(
                bot=bot, sessionmaker=sessionmaker, settings=settings, jobs=jobs, composer=Composer(settings)
            )
        )
        try:
            async with LoopLagProbe() as probe:
                reconciled = await reminders.reconcile(sessionmaker, jobs, store)
            stalls[f"reconcile_{reconciled.bookings}_bookings_ms"] = probe.worst
            async with LoopLagProbe() as probe:
                await reminders.sweep("catch_up")
            stalls[f"sweep_{due}_due_ms"] = probe.worst
            later = now + timedelta(days=20)
            fresh = [
                BookingTimes(10**9 + n, later + timedelta(minutes=n), later + timedelta(minutes=n + 1), now)
                for n in range(1000)
            ]
            async with LoopLagProbe() as probe:
                await add_jobs_as_bookings_arrive(sessionmaker, jobs, fresh)
            stalls["add_1000_jobs_ms"] = probe.worst
        finally:
            runtime.uninstall()
            scheduler.shutdown(wait=False)
            await bot.session.close()
            await engine.dispose()
        sent = len(reminders_by_client(stub))
    return report(
        f"event loop [{kind}]",
        {name: round(seconds * 1000, 1) for name, seconds in stalls.items()} | {"sweep_sent": sent},
    )


async def add_jobs_as_bookings_arrive(
    sessionmaker: async_sessionmaker[AsyncSession], jobs: ReminderJobs, times: list[BookingTimes]
) -> None:
    """Each booking's jobs are added the way BookingService adds them: once its transaction has committed.

    Up to ten updates commit at a time, as many as the database pool serves at once.
    """
    committing = asyncio.Semaphore(10)

    async def one(booking: BookingTimes) -> None:
        async with committing, sessionmaker() as session:
            await session.execute(text("SELECT 1"))
            after_commit(session, lambda: jobs.schedule(booking))
            await commit(session)

    await asyncio.gather(*(one(t) for t in times))
    await after_commit_work_done(sessionmaker)


def conversation_memory(sizes: Sizes) -> Figures:
    """RSS growth of the in-memory conversation store after many distinct users, aiogram's and the bot's."""
    figures: Figures = {"users": sizes.conversation_users}
    for kind in ("aiogram", "bounded"):
        output = subprocess.run(
            [sys.executable, "-m", "bench.fsm_memory", kind, str(sizes.conversation_users)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        measured = json.loads(output)
        figures[f"{kind}_rss_growth_mib"] = round(measured["rss_growth_bytes"] / 2**20, 1)
        figures[f"{kind}_records"] = measured["records"]
    return report("conversation store", figures)
