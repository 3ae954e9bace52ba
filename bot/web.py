"""The HTTP side: liveness, readiness and Prometheus metrics, and in webhook mode Telegram's updates."""

import logging
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot import ics
from bot.texts import pick_language
from database.engine import reading
from database.models import utcnow
from services import health, metrics, runtime
from services.calendars import feed_content

log = logging.getLogger(__name__)


async def healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def readyz(_: web.Request) -> web.Response:
    rt = runtime.current()
    report = await health.check(rt)
    body = {
        "ready": report.healthy,
        "database": {"ok": report.database_error is None, "ms": report.database_ms, "error": report.database_error},
        "job_store": {"ok": report.job_store_ok, "kind": rt.job_store.kind, "error": report.job_store_error},
        "scheduler": report.scheduler,
    }
    return web.json_response(body, status=200 if report.healthy else 503)


async def metrics_endpoint(_: web.Request) -> web.Response:
    scheduler = runtime.current().jobs.scheduler
    metrics.RUNS_SCHEDULER.set(1 if health.scheduler_role(scheduler) == "running" else 0)
    try:
        metrics.JOBS_IN_STORE.set(len(scheduler.get_jobs()))
    except Exception as error:
        log.warning("Cannot count jobs for /metrics: %s", error)
    return web.Response(body=generate_latest(metrics.REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})


NOT_FOUND = "Not found"


async def calendar_feed(request: web.Request) -> web.Response:
    """A subscription feed; an unknown or revoked secret gets the same 404 as any other wrong address."""
    rt = runtime.current()
    async with reading(rt.sessionmaker) as session:
        content = await feed_content(session, request.match_info["secret"])
    if content is None:
        return web.Response(status=404, text=NOT_FOUND)
    lang = pick_language(None, rt.settings.default_language)
    body = ics.feed_file(
        content, lang, domain=ics.domain(rt.bot.id), location=rt.settings.business_address, now=utcnow()
    )
    return web.Response(
        body=body,
        headers={
            "Content-Type": "text/calendar; charset=utf-8",
            "Cache-Control": "private, max-age=300",
            "Content-Disposition": 'inline; filename="bookings.ics"',
        },
    )


@dataclass(frozen=True)
class Webhook:
    dispatcher: Dispatcher
    bot: Bot
    path: str
    secret: str


def create_app(webhook: Webhook | None = None) -> web.Application:
    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_endpoint)
    app.router.add_get(ics.feed_path("{secret:[A-Za-z0-9_-]{16,64}}"), calendar_feed)
    if webhook is not None:
        # Requests without Telegram's secret-token header, or with another one, get 401.
        SimpleRequestHandler(webhook.dispatcher, webhook.bot, secret_token=webhook.secret).register(
            app, path=webhook.path
        )
    return app


async def start(host: str, port: int, webhook: Webhook | None = None) -> web.AppRunner:
    runner = web.AppRunner(create_app(webhook), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info(
        "HTTP on %s:%s: /healthz, /readyz, /metrics, /calendar/…%s", host, port, f", {webhook.path}" if webhook else ""
    )
    return runner
