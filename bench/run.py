"""`make bench`: every benchmark, each beside its ceiling measured in the same run.

Prints a table and writes bench/results/latest.json. Starts its own broker and
PostgreSQL on free ports, so it never touches a running `make run`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import alerts, health, ingest
from bench.alerts_delivery import DeliveryOptions
from bench.alerts_evaluation import EvaluationOptions
from bench.alerts_throughput import ThroughputOptions as AlertsThroughputOptions
from bench.health_footprint import FootprintOptions
from bench.health_freshness import FreshnessOptions
from bench.health_reads import ReadOptions
from bench.health_throughput import ThroughputOptions
from bench.health_worst import WorstCaseOptions
from bench.stack import embedded_stack, service
from pulse.common.kafka.admin import ensure_topics
from pulse.common.settings import Settings
from pulse.common.topics import Topics
from pulse.devtools.embedded import free_port

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    """What the figures ran on."""
    return {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }


def run_ingest(seconds: float, concurrency: int) -> dict[str, Any]:
    with embedded_stack() as stack:
        settings = Settings(kafka_bootstrap_servers=stack.bootstrap_servers, topic_prefix="bench")
        asyncio.run(ensure_topics(settings, Topics("bench").all))
        batches = ingest.build_batches()
        ceiling = asyncio.run(ingest.bare_producer(settings, batches, rounds=3))
        env = {
            "PULSE_TOPIC_PREFIX": "bench",
            "PULSE_API_KEYS": f"bench:{ingest.API_KEY}:ingest",
            "PULSE_INGEST_RATE_LIMIT_EVENTS_PER_S": "1e9",
            "PULSE_INGEST_RATE_LIMIT_BURST": "1000000000",
        }
        with service("ingest", stack, free_port(), **env) as url:
            measured = asyncio.run(
                ingest.drive_ingest(url, batches, seconds=seconds, concurrency=concurrency)
            )
    return {
        **measured,
        "batch_events": ingest.BATCH,
        "concurrency": concurrency,
        "ceiling_bare_producer_messages_per_s": ceiling["messages_per_s"],
        "ratio_to_ceiling": round(measured["events_per_s"] / ceiling["messages_per_s"], 3),
        "target_events_per_s": 25_000,
    }


def health_options(args: argparse.Namespace) -> health.HealthOptions:
    """The health part's sizes from the command line."""
    parts = tuple(args.health_parts.split(","))
    unknown = set(parts) - set(health.PARTS)
    if unknown:
        raise SystemExit(f"--health-parts: unknown {sorted(unknown)}; choose from {health.PARTS}")
    return health.HealthOptions(
        parts=parts,
        throughput=ThroughputOptions(
            events=args.health_events,
            partitions=tuple(int(p) for p in args.health_partitions.split(",")),
        ),
        freshness=FreshnessOptions(events_per_s=args.health_rate, probes=args.health_probes),
        footprint=FootprintOptions(
            simulated_accounts=args.health_sim_accounts,
            days=args.health_days,
            target_accounts=args.health_accounts,
            history_accounts=args.health_history_accounts,
        ),
        reads=ReadOptions(rate=args.health_read_rate, seconds=args.health_read_seconds),
        worst_case=WorstCaseOptions(
            accounts=args.health_worst_accounts,
            events=args.health_worst_events,
            reads=ReadOptions(rate=args.health_read_rate, seconds=args.health_worst_read_seconds),
        ),
        env=dict(pair.split("=", 1) for pair in args.health_env),
    )


def alerts_options(args: argparse.Namespace) -> alerts.AlertsOptions:
    """The alerts part's sizes from the command line."""
    parts = tuple(args.alerts_parts.split(","))
    unknown = set(parts) - set(alerts.PARTS)
    if unknown:
        raise SystemExit(f"--alerts-parts: unknown {sorted(unknown)}; choose from {alerts.PARTS}")
    return alerts.AlertsOptions(
        parts=parts,
        evaluation=EvaluationOptions(
            events=args.alerts_events,
            batches=tuple(int(b) for b in args.alerts_batches.split(",")),
        ),
        throughput=AlertsThroughputOptions(events=args.alerts_events),
        delivery=DeliveryOptions(events_per_s=args.alerts_rate, seconds=args.alerts_seconds),
        env=dict(pair.split("=", 1) for pair in args.alerts_env),
    )


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=("ingest", "health", "alerts"), help="run one benchmark")
    parser.add_argument("--seconds", type=float, default=20.0, help="ingest: measured time")
    parser.add_argument("--concurrency", type=int, default=4, help="ingest: requests in flight")
    health_args = parser.add_argument_group("health")
    health_args.add_argument(
        "--health-parts",
        default=",".join(health.PARTS),
        help="comma-separated parts: throughput, freshness, footprint, reads, worst_case",
    )
    health_args.add_argument("--health-events", type=int, default=120_000, help="pre-produced")
    health_args.add_argument("--health-partitions", default="1,3", help="one run per count")
    health_args.add_argument("--health-rate", type=int, default=1000, help="freshness events/s")
    health_args.add_argument("--health-probes", type=int, default=200, help="freshness probes")
    health_args.add_argument(
        "--health-sim-accounts", type=int, default=250, help="accounts lived through in-process"
    )
    health_args.add_argument("--health-days", type=int, default=90, help="days simulated")
    health_args.add_argument("--health-accounts", type=int, default=100_000, help="cloned to")
    health_args.add_argument(
        "--health-history-accounts", type=int, default=10_000, help="accounts given history"
    )
    health_args.add_argument("--health-read-rate", type=int, default=500, help="GETs per second")
    health_args.add_argument("--health-read-seconds", type=float, default=20.0)
    health_args.add_argument(
        "--health-worst-accounts", type=int, default=1000, help="worst case: accounts at limits"
    )
    health_args.add_argument(
        "--health-worst-events", type=int, default=60_000, help="worst case: pre-produced"
    )
    health_args.add_argument(
        "--health-worst-read-seconds", type=float, default=10.0, help="worst case: reads"
    )
    health_args.add_argument(
        "--health-env",
        action="append",
        default=[],
        metavar="PULSE_X=V",
        help="extra setting for the health processes (repeatable)",
    )
    alerts_args = parser.add_argument_group("alerts")
    alerts_args.add_argument(
        "--alerts-parts",
        default=",".join(alerts.PARTS),
        help="comma-separated parts: evaluation, throughput, delivery",
    )
    alerts_args.add_argument(
        "--alerts-events", type=int, default=120_000, help="evaluated in process; pre-produced"
    )
    alerts_args.add_argument(
        "--alerts-batches", default="2000,24000", help="in process: one run per batch size"
    )
    alerts_args.add_argument("--alerts-rate", type=int, default=1000, help="end to end events/s")
    alerts_args.add_argument(
        "--alerts-seconds", type=float, default=30.0, help="end to end: measured time"
    )
    alerts_args.add_argument(
        "--alerts-env",
        action="append",
        default=[],
        metavar="PULSE_X=V",
        help="extra setting for the alerts processes (repeatable)",
    )
    return parser.parse_args()


def print_table(results: dict[str, Any]) -> None:
    print(f"machine: {results['machine']}")
    print(f"{'benchmark':<44}{'value':>22}  {'ceiling':>16}  ratio")
    i = results.get("ingest")
    if i:
        print(
            f"{'ingest events/s (batches of 500)':<44}{i['events_per_s']:>22,}  "
            f"{i['ceiling_bare_producer_messages_per_s']:>16,}  {i['ratio_to_ceiling']:.0%}"
        )
        print(f"{'ingest request p50 / p99 ms':<44}{i['p50_ms']:>12} / {i['p99_ms']}")
    for figure, value, ceiling, ratio in health.table_rows(results.get("health", {})):
        print(f"{figure:<44}{value:>22}  {ceiling:>16}  {ratio}")
    for figure, value, ceiling, ratio in alerts.table_rows(results.get("alerts", {})):
        print(f"{figure:<44}{value:>22}  {ceiling:>16}  {ratio}")


def main() -> None:
    args = arguments()
    options = health_options(args)
    alerts_parts = alerts_options(args)
    latest = RESULTS / "latest.json"
    # One benchmark alone keeps the other's last figures in the file.
    kept = orjson.loads(latest.read_bytes()) if args.only and latest.exists() else {}
    results: dict[str, Any] = {
        **kept,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
    }
    if args.only in (None, "ingest"):
        results["ingest"] = run_ingest(args.seconds, args.concurrency)
    if args.only in (None, "health"):
        # Parts not run keep their last figures; each part says when it was measured.
        measured = {
            part: {**figures, "measured_at": results["measured_at"]}
            for part, figures in health.run_health(options).items()
        }
        results["health"] = {**results.get("health", {}), **measured}
    if args.only in (None, "alerts"):
        measured = {
            part: {**figures, "measured_at": results["measured_at"]}
            for part, figures in alerts.run_alerts(alerts_parts).items()
        }
        results["alerts"] = {**results.get("alerts", {}), **measured}
    RESULTS.mkdir(exist_ok=True)
    latest.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    print_table(results)
    print(f"written to {latest}")


if __name__ == "__main__":
    main()
