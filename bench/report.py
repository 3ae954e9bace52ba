"""The benchmark's results as a Markdown table and PNG plots (matplotlib, headless)."""

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from bench.harness import DATABASE_KINDS

QUANTILES = ("p50", "p95", "p99", "max")


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return [*lines, ""]


def _ratio(value: float | None, reference: float | None) -> str:
    return f"{value / reference:.1f}×" if value is not None and reference else "–"


def _per_floor(milliseconds: float | None, scenario: dict[str, Any]) -> str:
    """A figure in milliseconds over the floor measured in the same run (a minimal handler's update, CPU)."""
    return _ratio(milliseconds, scenario.get("reference", {}).get("floor_update_ms"))


def write_markdown(document: dict[str, Any], path: Path) -> None:
    results = document["results"]
    plots = not document["quick"]
    lines = [
        f"# Benchmark results{' (quick)' if document['quick'] else ''}",
        "",
        f"{document['when']} · {document['machine']} · the last run took {document['seconds']} s. "
        "Produced by `python -m bench`; figures are from single runs of the real bot against the Bot API "
        "stand-in, except interactive latency (the median of repeated runs); see bench/README.md for the method.",
        "",
        "Ratios (÷) are to references measured in the same run, so that machines of different speed compare: "
        "the floor is the CPU time of one update of a minimal aiogram handler, in process; restarts are "
        "divided by the time `import aiogram` takes. Each scenario keeps the references of its own run.",
        "",
    ]
    if "punctuality" in results:
        lines += ["## 1. Punctuality", ""]
        rows = []
        for kind in DATABASE_KINDS:
            r = results["punctuality"][kind]
            late = r["lateness_s"]
            rows.append(
                [
                    kind,
                    r["reminders"],
                    f"{r['window_s']} s",
                    *(f"{late[q]} s" for q in QUANTILES),
                    r["duplicates"],
                    _per_floor(late["p99"] * 1000, results["punctuality"]),
                ]
            )
        header = ["database", "reminders", "window", "p50", "p95", "p99", "max", "duplicates", "p99 ÷ floor"]
        lines += _table(header, rows)
        lines += ["![lateness](punctuality.png)", ""] if plots else []
    if "burst" in results:
        lines += ["## 2. Burst at the ceiling", ""]
        rows = []
        for kind in DATABASE_KINDS:
            r = results["burst"][kind]
            seconds = f"{r['seconds']} ({r['ideal_seconds']})"
            share = f"{r['share_of_ceiling']:.0%}"
            rows.append(
                [
                    f"bot, {kind}",
                    r["reminders"],
                    seconds,
                    r["per_second"],
                    share,
                    r["http_429"],
                    r["lost"],
                    r["duplicates"],
                ]
            )
        naive = results["burst"]["naive"]
        rows.append(
            [
                "naive `send_message` loop",
                naive["reminders"],
                naive["seconds"],
                "–",
                "–",
                naive["http_429"],
                naive["lost"],
                naive["duplicates"],
            ]
        )
        header = ["sender", "messages", "seconds (ideal)", "msg/s", "share of ceiling", "429s", "lost", "duplicated"]
        lines += _table(header, rows)
    if "restart" in results:
        r = results["restart"]
        lines += [
            "## 3. Restart",
            "",
            f"`import main` alone: {r['import_main_s']} s. The first reply answers a message written while the bot "
            "was down.",
            "",
        ]
        rows = [
            [
                kind,
                row["bookings"],
                f"{row['to_serving_s']} s",
                f"{row['to_first_reply_s']} s" if "to_first_reply_s" in row else "–",
                f"{row['to_reconciled_s']} s",
                f"{row['peak_rss_mb']} MiB",
                _ratio(row["to_serving_s"], r.get("reference", {}).get("import_aiogram_s")),
            ]
            for kind in DATABASE_KINDS
            for row in r[kind]
        ]
        header = ["database", "future bookings", "to serving updates", "to the first reply", "to scheduler reconciled"]
        lines += _table([*header, "peak RSS", "to serving ÷ import aiogram"], rows)
        lines += ["![restart](restart.png)", ""] if plots else []
    if "interactive" in results:
        lines += ["## 4. Interactive latency", ""]
        rows = []
        for kind in DATABASE_KINDS:
            r = results["interactive"][kind]
            reply = r["reply_ms"]
            rows.append(
                [
                    kind,
                    r["clients"],
                    r.get("runs", 1),
                    r["updates_per_second"],
                    f"{r['bot_cpu_ms_per_update']} ms" if "bot_cpu_ms_per_update" in r else "–",
                    *(f"{reply[q]} ms" for q in QUANTILES[:3]),
                    _per_floor(r.get("bot_cpu_ms_per_update"), results["interactive"]),
                    _per_floor(reply["p95"], results["interactive"]),
                ]
            )
        header = ["database", "clients", "runs", "updates/s", "bot CPU per update", "p50", "p95", "p99"]
        header += ["CPU ÷ floor", "p95 ÷ floor"]
        lines += _table(header, rows)
        lines += ["Medians over the runs; each run's figures are in latest.json.", ""]
    if "loop" in results:
        lines += ["## 5. Event-loop health (longest stall)", ""]
        rows = [
            [kind, phase.removesuffix("_ms").replace("_", " "), f"{value} ms", _per_floor(value, results["loop"])]
            for kind in DATABASE_KINDS
            for phase, value in results["loop"][kind].items()
            if phase.endswith("_ms")
        ]
        lines += _table(["database", "phase", "longest stall", "stall ÷ floor"], rows)
    if "memory" in results:
        r = results["memory"]
        lines += ["## 6. Conversation state in memory (no REDIS_URL)", ""]
        rows = [
            [store, r["users"], f"{r[f'{kind}_rss_growth_mib']} MiB", r[f"{kind}_records"]]
            for kind, store in (("aiogram", "aiogram's MemoryStorage"), ("bounded", "bot.fsm_memory"))
        ]
        lines += _table(["store", "distinct users, one update each", "RSS growth", "records kept"], rows)
    if "instructions" in results:
        r = results["instructions"]
        lines += ["## 7. Instructions per update (callgrind, in process, SQLite)", ""]
        if "error" in r:
            lines += [f"Not measured: {r['error']}", ""]
        else:
            ratios = {"floor": 1.0, **r["times_the_floor"]}
            rows = [[step, f"{count / 1e6:.2f} M", f"{ratios[step]}×"] for step, count in r["instructions"].items()]
            lines += _table(["update", "instructions", "times the floor"], rows)
            lines += [
                "The floor: a minimal aiogram handler answering one message; floor_one_read: the same handler reading",
                "its sender's row first (one SQLAlchemy `AsyncSession` select on aiosqlite), the least an update that",
                f"must know who sent it costs with this stack. {r['updates_per_step']} updates a step.",
                "",
            ]
    if "specialists" in results:
        lines += ["## 8. Specialists (issue 14)", ""]
        rows = []
        for kind in DATABASE_KINDS:
            r = results["specialists"][kind]
            reads = r["reads"]
            for what, key in (("'any' days list", "days_list_ms"), ("'any' times of a day", "day_times_ms")):
                figures = reads[key]
                rows.append(
                    [
                        kind,
                        what,
                        f"{figures['p50']} ms",
                        f"{figures['p95']} ms",
                        _per_floor(figures["p95"], results["specialists"]),
                    ]
                )
        lines += _table(["database", "read (in process)", "p50", "p95", "p95 ÷ floor"], rows)
        lines += [
            f"A busy business: {reads['specialists']} specialists, {reads['days_bookable']} days bookable, "
            f"{reads['bookings']} future bookings.",
            "",
        ]
        rows = []
        for kind in DATABASE_KINDS:
            r = results["specialists"][kind]
            five = r["interactive_5"]
            cpu_ms = five["bot_cpu_ms_per_update"]
            cpu = f"{cpu_ms} ms ({_per_floor(cpu_ms, results['specialists'])})"
            rows.append(
                [
                    kind,
                    "interactive, 5 specialists",
                    five.get("clients", 100),
                    five["updates_per_second"],
                    cpu,
                    f"{five['reply_ms']['p95']} ms",
                    0,
                ]
            )
            for point in r["saturation"]:
                p95 = f"{point['reply_ms']['p95']} ms"
                rows.append(
                    [kind, "saturation", point["clients"], point["updates_per_second"], "", p95, point["gave_up"]]
                )
        header = ["database", "run", "clients", "updates/s", "bot CPU per update (÷ floor)", "reply p95", "gave up"]
        lines += _table(header, rows)
        lines += ["A client gives up after 60 s without a reply (past saturation only); the wait counts as 60 s.", ""]
    path.write_text("\n".join(lines))


def write_plots(document: dict[str, Any], directory: Path) -> None:
    if document["quick"]:
        return  # smoke runs are too small to be worth a picture
    results = document["results"]
    if "punctuality" in results:
        figure, axes = plt.subplots(figsize=(7, 3.5))
        for kind in DATABASE_KINDS:
            samples = results["punctuality"][kind]["lateness_samples"]
            axes.plot(samples, [i / len(samples) for i in range(1, len(samples) + 1)], label=kind)
        axes.set_xlabel("lateness (s): delivery at the stand-in minus scheduled time")
        axes.set_ylabel("share of reminders")
        axes.set_title("Punctuality: reminders falling due over a minute (cumulative)")
        axes.axvline(1.0, color="grey", linestyle=":", label="target p99 < 1 s")
        axes.legend()
        figure.tight_layout()
        figure.savefig(directory / "punctuality.png", dpi=110)
        plt.close(figure)
    if "restart" in results:
        figure, axes = plt.subplots(figsize=(7, 3.5))
        for kind in DATABASE_KINDS:
            rows = results["restart"][kind]
            sizes = [row["bookings"] for row in rows]
            axes.plot(sizes, [row["to_serving_s"] for row in rows], marker="o", label=f"{kind}: serving updates")
            axes.plot(
                sizes, [row["to_reconciled_s"] for row in rows], marker="x", linestyle="--", label=f"{kind}: reconciled"
            )
        axes.axhline(results["restart"]["import_main_s"], color="grey", linestyle=":", label="import main alone")
        axes.axhline(2.0, color="black", linestyle="-.", linewidth=0.8, label="target: serving < 2 s")
        axes.set_xscale("symlog", linthresh=1000)
        axes.set_xlim(left=0)
        axes.set_xlabel("future bookings")
        axes.set_ylabel("seconds from process start")
        axes.set_title("Restart")
        axes.legend(fontsize=8)
        figure.tight_layout()
        figure.savefig(directory / "restart.png", dpi=110)
        plt.close(figure)
