"""Health throughput: events/s through ONE health process, beside a bare consumer.

The events are produced onto fresh topics BEFORE health starts, so the load generator
does not share the two cores with it while it is measured. Health's progress is what
it committed: its offsets table in Postgres (one transaction with the state it built),
polled until every partition reaches the end the producer reported. The ceiling is a
bare aiokafka consumer reading the same messages and parsing each with orjson.

While it drains this backlog, health defers re-scores (see
`pulse.health.keeping.deferral`); one more run on the first partition count re-scores
every batch at once instead, to show what deferring buys.

Each run also says what the step archive took per event applied (`health_archive`).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.health_archive import archive_footprint
from bench.health_common import (
    API_KEYS,
    GROUP_ID,
    SCHEMA,
    batch_figures,
    cpu_seconds,
    engine_of,
    fetch_all,
    memory_of,
    profiling,
    scrape,
    service_process,
    temporary_database,
)
from bench.health_events import Message, Storyteller, to_messages
from bench.stack import Stack, service
from pulse.common.kafka.admin import ensure_topics
from pulse.common.settings import Settings
from pulse.common.topics import Topics
from pulse.devtools.embedded import free_port

ACCOUNTS = 10_000
BASE_PREFIX = "hbase"
TargetOffsets = dict[tuple[str, int], int]  # (topic, partition): next offset after the last


@dataclass(frozen=True)
class ThroughputOptions:
    """Size of the throughput part."""

    events: int = 120_000
    partitions: Sequence[int] = (1, 3)
    timeout_s: float = 600.0


def build_messages(events: int) -> list[Message]:
    """The mixed stream over ACCOUNTS accounts, as ingest would produce it, over the last
    six hours (one generation serves every run: the same messages)."""
    now = datetime.now(UTC)
    raw = Storyteller(seed=11, count=ACCOUNTS).mixed(events, now - timedelta(hours=6), now)
    return to_messages(raw, Topics(BASE_PREFIX), now=now)


def mean_message_bytes(messages: list[Message]) -> float:
    """An event's mean size as consumed (its value's bytes)."""
    return sum(len(value) for _, _, value in messages) / len(messages)


def retarget(messages: list[Message], prefix: str) -> list[Message]:
    """The same messages on the topics of another prefix."""
    cut = len(BASE_PREFIX)
    return [(prefix + topic[cut:], key, value) for topic, key, value in messages]


async def produce(settings: Settings, messages: list[Message]) -> TargetOffsets:
    """Send every message (acks=all) and return the end offset of each partition written."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers(),
        acks="all",
        linger_ms=5,
        max_batch_size=1024 * 1024,
    )
    await producer.start()
    ends: TargetOffsets = {}
    try:
        for start in range(0, len(messages), 20_000):
            chunk = messages[start : start + 20_000]
            futures = [await producer.send(t, v, key=k) for t, k, v in chunk]
            for metadata in await asyncio.gather(*futures):
                where = (metadata.topic, metadata.partition)
                ends[where] = max(ends.get(where, 0), metadata.offset + 1)
    finally:
        await producer.stop()
    return ends


async def bare_consumer(settings: Settings, topics: Sequence[str], total: int) -> dict[str, float]:
    """Messages/s of a bare consumer (new group, from earliest) parsing every value."""
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=settings.bootstrap_servers(),
        group_id=f"bench-ceiling-{settings.topic_prefix}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    seen, started = 0, 0.0
    try:
        while seen < total:
            batches = await consumer.getmany(timeout_ms=1000, max_records=2000)
            if batches and not started:
                started = time.perf_counter()
            for records in batches.values():
                for record in records:
                    orjson.loads(record.value)
                seen += len(records)
        elapsed = time.perf_counter() - started
    finally:
        await consumer.stop()
    return {"messages": seen, "seconds": round(elapsed, 2), "messages_per_s": round(seen / elapsed)}


async def wait_committed(
    stack: Stack,
    ends: TargetOffsets,
    timeout_s: float,
    group_id: str = GROUP_ID,
    schema: str = SCHEMA,
    cpu: Callable[[], dict[str, float]] | None = None,
) -> dict[str, Any]:
    """Poll a group's committed offsets (health's unless told) until they reach `ends`;
    rate between the first commit seen and the last (what was committed before the first
    poll is not counted), and the CPU microseconds per event `cpu` says were used
    meanwhile (see `cpu_seconds`)."""
    engine = engine_of(stack, schema)
    total = sum(ends.values())
    first: tuple[float, int] | None = None
    cpu_at_first: dict[str, float] = {}
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            rows = await fetch_all(
                engine,
                "SELECT topic, partition, next_offset FROM consumer_offsets WHERE group_id = :g",
                g=group_id,
            )
            done = sum(min(n, ends.get((t, p), 0)) for t, p, n in rows)
            now = time.perf_counter()
            if done and first is None:
                first = (now, done)
                cpu_at_first = cpu() if cpu else {}
            if done >= total and first is not None:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{group_id} committed {done} of {total} events in {timeout_s}s")
            await asyncio.sleep(0.05)
    finally:
        await engine.dispose()
    started, already = first
    elapsed, events = now - started, total - already
    figures: dict[str, Any] = {
        "events": events,
        "seconds": round(elapsed, 2),
        "events_per_s": round(events / elapsed) if elapsed > 0 else 0,
    }
    if cpu:
        used = cpu()
        figures["cpu_us_per_event"] = {
            name: round(1e6 * (used[name] - cpu_at_first[name]) / events, 1) for name in used
        }
    return figures


def run_partitions(
    stack: Stack,
    messages: list[Message],
    partitions: int,
    options: ThroughputOptions,
    env: Mapping[str, str],
    name: str = "",
) -> dict[str, Any]:
    """One run: fresh topics with `partitions` partitions and a fresh database (`name`
    tells runs with the same partition count apart)."""
    prefix = f"hbench-p{partitions}{name}"
    database = f"health_throughput_p{partitions}{name.replace('-', '_')}"
    settings = Settings(
        kafka_bootstrap_servers=stack.bootstrap_servers,
        topic_prefix=prefix,
        topic_partitions=partitions,
    )
    topics = Topics(prefix)
    asyncio.run(ensure_topics(settings, topics.all))
    ends = asyncio.run(produce(settings, retarget(messages, prefix)))
    ceiling = asyncio.run(bare_consumer(settings, topics.all_events, len(messages)))
    environment = {
        "PULSE_TOPIC_PREFIX": prefix,
        "PULSE_TOPIC_PARTITIONS": str(partitions),
        "PULSE_API_KEYS": API_KEYS,
        **env,
    }
    profile = partitions == options.partitions[0] and not name
    with (
        temporary_database(stack, database) as own,
        profiling(profile),
        service("health", own, free_port(), log_name=f"health-p{partitions}", **environment) as url,
    ):
        before = scrape(url)
        health = service_process("health")
        measured = asyncio.run(
            wait_committed(own, ends, options.timeout_s, cpu=lambda: cpu_seconds(own, health))
        )
        after = scrape(url)
        memory = memory_of(health)
        applied = int(after.get("pulse_health_events_applied_total", 0))
        archive = archive_footprint(own, applied, mean_message_bytes(messages))
    return {
        "partitions": partitions,
        "profiled": profile and bool(os.environ.get("PULSE_BENCH_PROFILE")),
        **measured,
        **batch_figures(before, after),
        "rss_after_mib": round(memory["rss_bytes"] / 2**20, 1),
        "ceiling_bare_consumer_messages_per_s": ceiling["messages_per_s"],
        "ratio_to_ceiling": round(measured["events_per_s"] / ceiling["messages_per_s"], 3),
        "archive": archive,
    }


def run_throughput(
    stack: Stack, options: ThroughputOptions, env: Mapping[str, str]
) -> dict[str, Any]:
    """Every partition count of `options`, on the same messages. With PULSE_BENCH_PROFILE
    the first run is profiled (/tmp/pulse-bench-health.folded)."""
    messages = build_messages(options.events)
    runs = [run_partitions(stack, messages, p, options, env) for p in options.partitions]
    undeferred = {**env, "PULSE_HEALTH_RESCORE_DEFER_S": "0"}
    every_batch = run_partitions(
        stack, messages, options.partitions[0], options, undeferred, name="-undeferred"
    )
    return {
        "accounts": ACCOUNTS,
        "events_produced": len(messages),
        "mean_message_bytes": round(mean_message_bytes(messages)),
        "runs": runs,
        "rescoring_every_batch": every_batch,
        "target_events_per_s": 25_000,
    }
