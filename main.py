"""The composition root: settings → database → scheduler → bot → dispatcher, then long polling.

`python main.py --sandbox` runs the same bot against the embedded Bot API emulator, with a chat page to try it.
"""

from bot.lazy_types import import_aiogram

import_aiogram()  # before any other import of aiogram: its types are then built on first use, not all at start

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from datetime import timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import BotCommand
from aiohttp.web import AppRunner as AiohttpAppRunner
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import web
from bot.composer import Composer
from bot.conversation import PendingQuestions
from bot.fsm_memory import ExpiringMemoryStorage, PerUserLocks
from bot.handlers import QUESTION_COMMANDS, routers
from bot.middlewares import HandlerTransactions, UnitOfWorkMiddleware
from bot.telegram_session import TelegramRefused, create_bot, reach_telegram
from bot.texts import menu_texts
from config import ConfigError, Settings, load_settings
from database.engine import (
    DatabaseUnavailable,
    after_commit_work_done,
    check_connection,
    commit,
    create_engine,
    create_sessionmaker,
)
from database.migrate import upgrade_to_head
from services import broadcast, reminders, runtime, stats
from services.booking import ensure_default_service
from services.catalog import Catalog
from services.health import JOB_EVENTS
from services.leadership import SchedulerLeadership, asyncpg_dsn
from services.scheduling import ReminderJobs, create_scheduler

try:
    # uvloop: the same asyncio on a faster loop (its effect on the CPU per update: bench/README.md).
    from uvloop import run as run_event_loop
except ImportError:  # not built for Windows
    from asyncio import run as run_event_loop

log = logging.getLogger("bot")


class RedisUnavailable(Exception):
    pass


DEFAULT_SERVICE_NAME = {"ru": "Приём", "en": "Appointment"}
IN_FLIGHT_GRACE_SECONDS = 15
SCHEDULER_RETRY_SECONDS = 5
FSM_TTL = timedelta(days=1)  # an abandoned conversation is forgotten after a day


async def serve(settings: Settings, finish: asyncio.Event | None = None) -> None:
    """Run the bot until SIGTERM or SIGINT, or until `finish` is set (the sandbox's reset)."""
    engine = create_engine(settings.database_url)
    scheduler: AsyncIOScheduler | None = None
    bot: Bot | None = None
    in_charge: asyncio.Task[None] | None = None
    web_runner: AiohttpAppRunner | None = None
    stopper: asyncio.Task[None] | None = None
    storage: BaseStorage | None = None
    reached_telegram = False
    try:
        await check_connection(engine)
        storage, isolation = await _create_fsm_storage(settings)
        bot = create_bot(settings.bot_token, settings.telegram_api_url)
        with _signals_set(stop := asyncio.Event()):
            me = await reach_telegram(bot, stop)
        if me is None:
            return
        reached_telegram = True
        await upgrade_to_head(engine)
        sessionmaker = create_sessionmaker(engine)
        await _ensure_default_service(sessionmaker, settings)

        scheduler, store = create_scheduler(settings)
        jobs = ReminderJobs(scheduler, settings)
        dispatcher = _create_dispatcher(settings, sessionmaker, jobs, storage, isolation)
        rt = runtime.Runtime(
            bot=bot,
            sessionmaker=sessionmaker,
            settings=settings,
            jobs=jobs,
            composer=Composer(settings),
            job_store=store,
        )
        runtime.install(rt)
        scheduler.add_listener(rt.counters.on_job_event, JOB_EVENTS)

        # Every process can add and remove jobs; only the one in charge lets its scheduler run them.
        scheduler.start(paused=True)

        async def take_charge() -> None:
            in_doubt = await reminders.renew_claims()
            if in_doubt:
                log.warning(
                    "%d messages were being sent when their sender stopped: sending them in %s unless it "
                    "reports back (any that had reached Telegram will arrive twice)",
                    in_doubt,
                    settings.claim_timeout,
                )
                jobs.retry_in_doubt(settings.claim_timeout + timedelta(seconds=1))
            await reminders.reconcile(sessionmaker, jobs, store)
            jobs.add_sweeps()
            await _resume_broadcasts(sessionmaker, jobs)
            jobs.catch_up()
            if not rt.stopping.is_set():
                scheduler.resume()

        if store.persistent:
            leadership = SchedulerLeadership(
                asyncpg_dsn(settings.database_url),
                on_elected=take_charge,
                on_deposed=scheduler.pause,
                on_jobs_changed=scheduler.wakeup,
                own_sender_id=jobs.sender_id,
            )
            in_charge = asyncio.create_task(leadership.run(), name="scheduler-leadership")
        else:
            # The only process on this database takes charge at once, while it already serves updates: with
            # thousands of bookings, rebuilding the memory store takes seconds.
            in_charge = asyncio.create_task(_until_done(take_charge), name="scheduler-start")

        _prepare_charts()
        await _publish_commands(bot)
        if settings.webhook_url is not None:
            webhook = web.Webhook(dispatcher, bot, settings.webhook_path, settings.webhook_secret or "")
            web_runner = await web.start(settings.web_host, settings.http_port or 0, webhook)
            await _serve_webhook(dispatcher, bot, settings, me.username or "")
        else:
            if settings.http_port is not None:
                web_runner = await web.start(settings.web_host, settings.http_port)
            await bot.delete_webhook(drop_pending_updates=False)
            if finish is not None:
                polling = asyncio.Event()
                dispatcher.startup.register(polling.set)
                stopper = asyncio.create_task(_stop_polling_on(finish, dispatcher, polling), name="stop-polling")
            log.info("Bot @%s is up: polling for updates", me.username)
            await dispatcher.start_polling(
                bot,
                allowed_updates=dispatcher.resolve_used_update_types(),
                close_bot_session=False,
            )
        log.info("Stopped taking updates; shutting down")
        rt.stopping.set()
        scheduler.pause()
        await _wait_for_in_flight(rt)
    finally:
        if stopper is not None:
            stopper.cancel()
        if web_runner is not None:
            await web_runner.cleanup()
        if in_charge is not None:
            in_charge.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await in_charge
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)
        await engine.dispose()
        if storage is not None:
            await storage.close()
        if bot is not None:
            await bot.session.close()
        runtime.uninstall()
        if reached_telegram:
            log.info("Stopped")


async def _stop_polling_on(stop: asyncio.Event, dispatcher: Dispatcher, started: asyncio.Event) -> None:
    await stop.wait()
    await started.wait()  # stop_polling refuses a dispatcher that is not polling yet
    await dispatcher.stop_polling()


async def serve_sandbox(settings: Settings, host: str, port: int) -> None:
    """The bot against the embedded emulator, and the chat page; SandboxReset once the page asked for a reset
    and the bot has stopped (the process then starts afresh: the bot's routers belong to one dispatcher for the
    life of a process)."""
    from emulator import BotApiEmulator
    from sandbox import config as sandbox_config
    from sandbox import page as sandbox_page

    emulator = BotApiEmulator()
    await emulator.start()
    settings = settings.model_copy(update={"telegram_api_url": emulator.url})
    reset = asyncio.Event()
    runner = None
    try:
        try:
            runner = await sandbox_page.start(sandbox_page.Page(emulator, reset.set), host, port)
        except OSError as error:
            raise SandboxUnavailable(f"cannot serve the page on {host}:{port}: {error.strerror or error}") from None
        where = f"no token, no network; data in {sandbox_config.DATABASE_FILE}"
        print(f"Sandbox: open http://{host}:{port}/ ({where})", flush=True)
        await serve(settings, reset)
        if reset.is_set():
            raise SandboxReset
    finally:
        if runner is not None:
            await runner.cleanup()
        await emulator.stop()


class SandboxUnavailable(Exception):
    pass


class SandboxReset(Exception):
    pass


@contextlib.contextmanager
def _signals_set(event: asyncio.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set `event` meanwhile (before polling or the webhook take them over)."""
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # Windows' event loop has no signal handlers
            loop.add_signal_handler(signal_number, event.set)
    try:
        yield
    finally:
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(signal_number)


def _prepare_charts() -> None:
    """Build matplotlib's font cache where it costs no one (a daemon thread: it never holds up a shutdown)."""
    if not stats.font_cache_ready():
        log.info("Building the font cache for /stats charts in the background")
        threading.Thread(target=stats.prepare_charts, name="prepare-charts", daemon=True).start()


async def _until_done(take_charge: Callable[[], Awaitable[None]]) -> None:
    while True:
        try:
            await take_charge()
            return
        except Exception:
            log.exception("Could not start the scheduler; trying again in %d s", SCHEDULER_RETRY_SECONDS)
            await asyncio.sleep(SCHEDULER_RETRY_SECONDS)


async def _serve_webhook(dispatcher: Dispatcher, bot: Bot, settings: Settings, username: str) -> None:
    """Telegram calls us; we only wait for SIGTERM/SIGINT. The webhook stays set for the other replicas."""
    await dispatcher.emit_startup(bot=bot)
    await bot.set_webhook(
        settings.webhook_url or "",
        secret_token=settings.webhook_secret,
        allowed_updates=dispatcher.resolve_used_update_types(),
        drop_pending_updates=False,
    )
    log.info("Bot @%s is up: receiving updates at %s", username, settings.webhook_url)
    stop = asyncio.Event()
    try:
        with _signals_set(stop):
            await stop.wait()
    finally:
        await dispatcher.emit_shutdown(bot=bot)


async def _create_fsm_storage(settings: Settings) -> tuple[BaseStorage, BaseEventIsolation]:
    """Conversation state in Redis when REDIS_URL is set, so any process can take the next update."""
    if settings.redis_url is None:
        return ExpiringMemoryStorage(FSM_TTL), PerUserLocks()
    storage = RedisStorage.from_url(
        settings.redis_url,
        key_builder=DefaultKeyBuilder(prefix="booking_bot", with_destiny=True),
        state_ttl=FSM_TTL,
        data_ttl=FSM_TTL,
    )
    try:
        await storage.redis.ping()
    except Exception as error:
        await storage.close()
        raise RedisUnavailable(f"cannot reach Redis at {_without_password(settings.redis_url)}: {error}") from None
    log.info("Conversation state in Redis at %s", _without_password(settings.redis_url))
    return storage, storage.create_isolation()


def _without_password(url: str) -> str:
    return make_url(url.replace("rediss://", "redis://")).render_as_string(hide_password=True)


def _create_dispatcher(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    jobs: ReminderJobs,
    storage: BaseStorage,
    isolation: BaseEventIsolation,
) -> Dispatcher:
    # Updates of one user are handled one at a time (double clicks queue up instead of racing).
    dispatcher = Dispatcher(storage=storage, events_isolation=isolation, settings=settings)
    dispatcher.update.outer_middleware(UnitOfWorkMiddleware(sessionmaker, settings, jobs, Catalog()))
    questions = PendingQuestions(
        settings.question_timeout, menu_texts("menu_book", "menu_my", "menu_help"), QUESTION_COMMANDS
    )
    dispatcher.message.outer_middleware(questions)
    dispatcher.callback_query.outer_middleware(questions)
    dispatcher.message.middleware(HandlerTransactions())
    dispatcher.callback_query.middleware(HandlerTransactions())
    dispatcher.include_routers(*routers())
    return dispatcher


async def _ensure_default_service(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    async with sessionmaker() as session:
        await ensure_default_service(session, DEFAULT_SERVICE_NAME[settings.default_language], settings.slot_minutes)
        await commit(session)


async def _resume_broadcasts(sessionmaker: async_sessionmaker[AsyncSession], jobs: ReminderJobs) -> None:
    async with sessionmaker() as session:
        unfinished = await broadcast.running_ids(session)
    for broadcast_id in unfinished:
        log.info("Resuming broadcast %s", broadcast_id)
        jobs.run_broadcast(broadcast_id)


async def _publish_commands(bot: Bot) -> None:
    for language, commands in {
        None: [("book", "Book an appointment"), ("my", "My bookings"), ("help", "Help"), ("cancel", "Stop")],
        "ru": [("book", "Записаться"), ("my", "Мои записи"), ("help", "Помощь"), ("cancel", "Прервать")],
    }.items():
        await bot.set_my_commands(
            [BotCommand(command=name, description=text) for name, text in commands], language_code=language
        )


async def _wait_for_in_flight(rt: runtime.Runtime) -> None:
    # A job the scheduler handed to its executor just before the pause is a task that has not run yet: one turn
    # of the loop lets it start and register. Shutting the scheduler down would cancel it mid-way.
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + IN_FLIGHT_GRACE_SECONDS
    if rt.in_flight:
        log.info("Waiting for %d sends in progress", len(rt.in_flight))
    while rt.in_flight and (remaining := deadline - loop.time()) > 0:
        await asyncio.wait(set(rt.in_flight), timeout=remaining)
    # The jobs of bookings just made: the next start's reconcile would add them, but only once it is up.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(after_commit_work_done(rt.sessionmaker), IN_FLIGHT_GRACE_SECONDS)


def _configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("apscheduler").setLevel(max(logging.getLevelName(level), logging.INFO))
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A Telegram booking bot for a small service business.")
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="try it without Telegram: the bot against an embedded Bot API emulator, and a chat page to use it",
    )
    if parser.parse_args(argv).sandbox:
        return _sandbox()
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    return _run(settings, serve(settings))


def _sandbox() -> int:
    from sandbox import config as sandbox_config  # only for --sandbox: a deployment never loads it

    values = sandbox_config.environment()
    try:
        host, port, exposed = sandbox_config.page_address(values)
        settings = load_settings(**sandbox_config.overrides("http://127.0.0.1", values))
    except (ConfigError, sandbox_config.SandboxConfigError) as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    ignored = sandbox_config.ignored(values)
    try:
        return _run(settings, serve_sandbox(settings, host, port), before=lambda: _sandbox_warnings(ignored, exposed))
    except SandboxReset:
        log.info("Sandbox reset: starting again on an empty database")
        sandbox_config.remove_database()
        os.execv(sys.executable, [sys.executable, *sys.argv])


def _sandbox_warnings(ignored: list[str], exposed: bool) -> None:
    for name in ignored:
        log.warning("Sandbox: %s is ignored (the sandbox has its own Telegram and its own database)", name)
    if exposed:
        log.warning("Sandbox: WEB_HOST is set, so the page is reachable beyond this machine, with no password")


def _run(settings: Settings, serving: Coroutine[Any, Any, None], before: Callable[[], None] | None = None) -> int:
    _configure_logging(settings.log_level)
    if before is not None:
        before()
    # The hundreds of thousands of objects made by the imports (aiogram's pydantic models above all) live for
    # the whole process: frozen, they are no longer scanned by every full garbage collection, which would
    # otherwise stop the event loop for a long while each time (bench/README.md).
    gc.collect()
    gc.freeze()
    try:
        run_event_loop(serving)
    except DatabaseUnavailable as error:
        print(f"Database error: {error}", file=sys.stderr)
        return 1
    except RedisUnavailable as error:
        print(f"Redis error: {error}", file=sys.stderr)
        return 1
    except SandboxUnavailable as error:
        print(f"Sandbox error: {error}", file=sys.stderr)
        return 1
    except TelegramRefused as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
