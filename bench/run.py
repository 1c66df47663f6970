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

from bench import ingest
from bench.stack import embedded_stack, service
from pulse.common.embedded import free_port
from pulse.common.kafka.admin import ensure_topics
from pulse.common.settings import Settings
from pulse.common.topics import Topics

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0, help="measured time per run")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight")
    args = parser.parse_args()
    results: dict[str, Any] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "ingest": run_ingest(args.seconds, args.concurrency),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    i = results["ingest"]
    print(f"machine: {results['machine']}")
    print(f"{'benchmark':<34}{'value':>12}  {'ceiling':>12}  ratio")
    print(
        f"{'ingest events/s (batches of 500)':<34}{i['events_per_s']:>12,}  "
        f"{i['ceiling_bare_producer_messages_per_s']:>12,}  {i['ratio_to_ceiling']:.0%}"
    )
    print(f"{'ingest request p50 / p99 ms':<34}{i['p50_ms']:>6} / {i['p99_ms']}")
    print(f"written to {RESULTS / 'latest.json'}")


if __name__ == "__main__":
    main()
