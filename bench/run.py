"""python -m bench [--quick] [--only NAME ...]: run the scenarios, write bench/results/latest.{json,md} and plots."""

import argparse
import asyncio
import json
import logging
import platform
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import instructions, scenarios
from bench.harness import DATABASE_KINDS

RESULTS = Path(__file__).with_name("results")
SCENARIOS = ("punctuality", "burst", "restart", "interactive", "loop", "memory", "instructions", "specialists")
TARGETS = {
    "punctuality": "p99 lateness < 1 s on both databases",
    "burst": ">= 90 % of the 30 msg/s ceiling, 0 lost, 0 duplicated",
    "restart": "< 2 s to serving at 10 000 bookings",
    "interactive": "p95 < 50 ms on SQLite, < 80 ms on PostgreSQL",
    "loop": "longest stall < 50 ms",
    "memory": "the conversation store (no Redis) does not grow with the number of users",
    "instructions": "a booking-flow update costs at most 3x the instructions of a minimal handler (issue 14)",
    "specialists": "10 specialists, 60 days, 20 000 bookings: 'any' days list and day times p95 < 20 ms; 5 "
    "specialists, 100 clients: p95 < 50 ms SQLite, < 80 ms PostgreSQL; 400 clients: p95 < 100 ms",
}


async def run(selected: list[str], sizes: scenarios.Sizes, save: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Run the scenarios in turn, saving the results after each: an interrupted run keeps what it measured."""
    results: dict[str, Any] = {}
    # Measured once per run, beside the scenarios: each scenario's figures keep the reference they were
    # measured with, so that runs on machines of different speed can be compared (report.py divides by it).
    reference = {
        "floor_update_ms": await asyncio.to_thread(instructions.floor_ms),
        "import_aiogram_s": await asyncio.to_thread(scenarios.import_seconds, sizes.import_runs, "aiogram"),
    }
    print(f"reference: {reference}", flush=True)
    steps: dict[str, Callable[[], Awaitable[Any]]] = {
        "punctuality": lambda: _each_kind(lambda kind: scenarios.punctuality(kind, sizes)),
        "burst": lambda: _burst(sizes),
        "restart": lambda: _restart(sizes),
        "interactive": lambda: _each_kind(lambda kind: scenarios.interactive(kind, sizes)),
        "loop": lambda: _each_kind(lambda kind: scenarios.loop_health(kind, sizes)),
        "memory": lambda: asyncio.to_thread(scenarios.conversation_memory, sizes),
        "instructions": lambda: asyncio.to_thread(instructions.per_update, sizes.instruction_updates),
        "specialists": lambda: _each_kind(lambda kind: scenarios.specialists(kind, sizes)),
    }
    for name in selected:
        print(f"{name} — target: {TARGETS[name]}", flush=True)
        started = time.monotonic()
        results[name] = {**await steps[name](), "reference": reference}
        print(f"  ({time.monotonic() - started:.0f} s)", flush=True)
        save(results)
    return results


async def _each_kind(scenario: Callable[[str], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    return {kind: await scenario(kind) for kind in DATABASE_KINDS}


async def _burst(sizes: scenarios.Sizes) -> dict[str, Any]:
    by_bot = await _each_kind(lambda kind: scenarios.burst(kind, sizes))
    return {**by_bot, "naive": await scenarios.naive_burst(sizes)}


async def _restart(sizes: scenarios.Sizes) -> dict[str, Any]:
    figures: dict[str, Any] = {"import_main_s": scenarios.import_seconds(sizes.import_runs)}
    print(f"  import main: {figures['import_main_s']} s", flush=True)
    for kind in DATABASE_KINDS:
        figures[kind] = [await scenarios.restart(kind, count) for count in sizes.restart_bookings]
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes: a smoke run of about three minutes")
    parser.add_argument("--only", nargs="+", choices=SCENARIOS, default=list(SCENARIOS), metavar="NAME")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where latest.json, latest.md and plots go")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    started = time.monotonic()
    args.out.mkdir(parents=True, exist_ok=True)
    name = "quick" if args.quick else "latest"
    previous = args.out / f"{name}.json"
    earlier = json.loads(previous.read_text()).get("results", {}) if previous.exists() else {}

    def save(results: dict[str, Any]) -> None:
        from bench.report import write_markdown, write_plots  # matplotlib only once there is something to draw

        # With --only, the scenarios not run keep their figures from the previous results.
        merged = {scenario: results.get(scenario, earlier.get(scenario)) for scenario in SCENARIOS}
        document = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "quick": args.quick,
            "machine": f"{platform.machine()}, {_cores()} cores, Python {platform.python_version()}",
            "seconds": round(time.monotonic() - started),
            "targets": {scenario: TARGETS[scenario] for scenario, figures in merged.items() if figures},
            "results": {scenario: figures for scenario, figures in merged.items() if figures},
        }
        previous.write_text(json.dumps(document, indent=2) + "\n")
        write_markdown(document, args.out / f"{name}.md")
        write_plots(document, args.out)

    asyncio.run(run(args.only, scenarios.QUICK if args.quick else scenarios.FULL, save))
    print(f"Done in {round(time.monotonic() - started)} s: {args.out / f'{name}.md'}")
    return 0


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


if __name__ == "__main__":
    sys.exit(main())
