"""Alerts throughput: events/s through ONE `python -m pulse.alerts` process, beside a bare
consumer of the same messages.

The health throughput part's mixed stream (10k accounts, six hours; see
`bench.health_throughput`) is produced onto fresh topics BEFORE alerts starts, so the load
generator does not share the two cores with it while it is measured. Alerts' progress is
what its consumer group committed to PostgreSQL (in one transaction with the watches and
alerts it wrote), polled until every partition reaches the end the producer reported.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bench.health_common import (
    API_KEYS,
    batch_figures,
    engine_of,
    fetch_all,
    memory_of,
    profiling,
    scrape,
    service_process,
    temporary_database,
)
from bench.health_throughput import (
    bare_consumer,
    build_messages,
    produce,
    retarget,
    wait_committed,
)
from bench.stack import Stack, service
from pulse.common.kafka.admin import ensure_topics
from pulse.common.settings import Settings
from pulse.common.topics import Topics
from pulse.devtools.embedded import free_port

GROUP_ID = "pulse-alerts"  # pulse.alerts.background.GROUP_ID
SCHEMA = "alerts"
PREFIX = "abench"


@dataclass(frozen=True)
class ThroughputOptions:
    """Size of the through-a-process part."""

    events: int = 120_000
    partitions: int = 1
    timeout_s: float = 300.0


async def alert_counts(stack: Stack) -> dict[str, int]:
    """Alerts and stored watches once the backlog is drained."""
    engine = engine_of(stack, SCHEMA)
    try:
        [(alerts, watches)] = await fetch_all(
            engine,
            "SELECT (SELECT count(*) FROM alerts), (SELECT count(*) FROM account_watches)",
        )
    finally:
        await engine.dispose()
    return {"alerts_opened": int(alerts), "watches_stored": int(watches)}


def run_throughput(
    stack: Stack, options: ThroughputOptions, env: Mapping[str, str]
) -> dict[str, Any]:
    """Produce the backlog, read it with a bare consumer, then time alerts draining it.
    With PULSE_BENCH_PROFILE, alerts is profiled (/tmp/pulse-bench-alerts.folded)."""
    messages = build_messages(options.events)
    settings = Settings(
        kafka_bootstrap_servers=stack.bootstrap_servers,
        topic_prefix=PREFIX,
        topic_partitions=options.partitions,
    )
    topics = Topics(PREFIX)
    asyncio.run(ensure_topics(settings, topics.all))
    ends = asyncio.run(produce(settings, retarget(messages, PREFIX)))
    ceiling = asyncio.run(bare_consumer(settings, topics.all_events, len(messages)))
    environment = {
        "PULSE_TOPIC_PREFIX": PREFIX,
        "PULSE_TOPIC_PARTITIONS": str(options.partitions),
        "PULSE_API_KEYS": API_KEYS,
        **env,
    }
    with (
        temporary_database(stack, "alerts_throughput") as own,
        profiling(True),
        service("alerts", own, free_port(), log_name="alerts-throughput", **environment) as url,
    ):
        before = scrape(url)
        measured = asyncio.run(
            wait_committed(own, ends, options.timeout_s, group_id=GROUP_ID, schema=SCHEMA)
        )
        after = scrape(url)
        memory = memory_of(service_process("alerts"))
        counts = asyncio.run(alert_counts(own))
    batches = batch_figures(before, after)
    return {
        "accounts": 10_000,
        "events_produced": len(messages),
        "partitions": options.partitions,
        "profiled": bool(os.environ.get("PULSE_BENCH_PROFILE")),
        **measured,
        **{k: batches[k] for k in ("batches", "mean_batch_messages", "mean_batch_ms")},
        **counts,
        "rss_after_mib": round(memory["rss_bytes"] / 2**20, 1),
        "ceiling_bare_consumer_messages_per_s": ceiling["messages_per_s"],
        "ratio_to_ceiling": round(measured["events_per_s"] / ceiling["messages_per_s"], 3),
        "target_events_per_s": 50_000,
    }
