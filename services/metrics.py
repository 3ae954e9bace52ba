"""Prometheus metrics. Like the runtime context, one registry per process, filled as things happen."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

BOOKINGS_CREATED = Counter("bot_bookings_created", "Bookings created", registry=REGISTRY)
BOOKINGS_CANCELLED = Counter("bot_bookings_cancelled", "Bookings cancelled", ["by"], registry=REGISTRY)
MESSAGES = Counter(
    "bot_scheduled_messages",
    "Reminders and feedback requests by outcome",
    ["kind", "outcome"],
    registry=REGISTRY,
)
REMINDER_LATENESS = Histogram(
    "bot_reminder_lateness_seconds",
    "Delivery time minus the reminder's scheduled time",
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600),
    registry=REGISTRY,
)
TELEGRAM_ERRORS = Counter("bot_telegram_api_errors", "Bot API errors by kind", ["kind"], registry=REGISTRY)
UPDATE_SECONDS = Histogram(
    "bot_update_handling_seconds",
    "Time to handle one update",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
    registry=REGISTRY,
)
JOBS_IN_STORE = Gauge("bot_jobs_in_store", "Jobs in the scheduler's store", registry=REGISTRY)
RUNS_SCHEDULER = Gauge("bot_runs_scheduler", "1 if this process runs the scheduler", registry=REGISTRY)
