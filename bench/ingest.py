"""Ingest throughput: one ingest process (one uvicorn worker) against a bare producer.

The ceiling is a bare aiokafka producer, configured as ingest's (acks=all, same linger
and batch size), sending the very messages ingest would produce, pre-serialised.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaProducer

from pulse.common.events import event_to_json, validate_event
from pulse.common.settings import Settings
from pulse.common.topics import Topics
from pulse.devtools.samples import SampleEvents

BATCH = 500
DISTINCT_BATCHES = 40
ACCOUNTS = 10_000
API_KEY = "bench-secret"


def build_batches() -> list[list[dict[str, Any]]]:
    """DISTINCT_BATCHES batches of BATCH realistic mixed events over ACCOUNTS accounts."""
    samples = SampleEvents(seed=42, accounts=ACCOUNTS)
    return [samples.mixed(BATCH) for _ in range(DISTINCT_BATCHES)]


async def bare_producer(
    settings: Settings, batches: list[list[dict[str, Any]]], rounds: int
) -> dict[str, float]:
    """Messages per second of a bare producer sending the normalised events, keyed."""
    topics = Topics(settings.topic_prefix)
    messages = []
    for batch in batches:
        for raw in batch:
            event = validate_event(raw)
            messages.append(
                (topics.for_event_type(event.type), event.account_id.encode(), event_to_json(event))
            )
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers(),
        acks="all",
        enable_idempotence=False,
        linger_ms=settings.producer_linger_ms,
        max_batch_size=settings.producer_max_batch_bytes,
    )
    await producer.start()
    try:
        for topic, key, value in messages[:1000]:  # warm up: metadata, connections
            await producer.send(topic, value, key=key)
        await producer.flush()
        started = time.perf_counter()
        sent = 0
        for _ in range(rounds):
            futures = [await producer.send(t, v, key=k) for t, k, v in messages]
            await asyncio.gather(*futures)
            sent += len(futures)
        elapsed = time.perf_counter() - started
    finally:
        await producer.stop()
    return {"messages": sent, "seconds": round(elapsed, 2), "messages_per_s": round(sent / elapsed)}


async def drive_ingest(
    url: str, batches: list[list[dict[str, Any]]], *, seconds: float, concurrency: int
) -> dict[str, float]:
    """Post batches with `concurrency` requests in flight for `seconds`; events/s, latency."""
    bodies = [orjson.dumps({"events": batch}) for batch in batches]
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    latencies: list[float] = []
    accepted = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=30
    ) as client:

        async def worker(offset: int, until: float, record: bool) -> None:
            nonlocal accepted
            n = offset
            while time.perf_counter() < until:
                body = bodies[n % len(bodies)]
                n += concurrency
                started = time.perf_counter()
                response = await client.post("/v1/events", content=body)
                if response.status_code != 202:
                    raise RuntimeError(f"ingest answered {response.status_code}: {response.text}")
                if record:
                    latencies.append(time.perf_counter() - started)
                    accepted += response.json()["accepted"]

        warm = time.perf_counter() + 3
        await asyncio.gather(*(worker(i, warm, False) for i in range(concurrency)))
        started = time.perf_counter()
        until = started + seconds
        await asyncio.gather(*(worker(i, until, True) for i in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "events": accepted,
        "seconds": round(elapsed, 2),
        "events_per_s": round(accepted / elapsed),
        "requests": len(latencies),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
    }
