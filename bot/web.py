"""The HTTP side: liveness, readiness and Prometheus metrics on WEB_PORT."""

import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services import health, metrics, runtime

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


def create_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_endpoint)
    return app


async def start(host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(create_app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("Health and metrics on http://%s:%s (/healthz, /readyz, /metrics)", host, port)
    return runner
