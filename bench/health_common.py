"""Helpers the health benchmarks share: a database per part, the service's process and
metrics, SQL against its schema, percentiles."""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import httpx
import psutil
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench.stack import Stack
from pulse.devtools.embedded.postgres import create_database, drop_database

API_KEY = "bench-health-secret"
#: Ingest sends with it, the health API reads with it.
API_KEYS = f"bench:{API_KEY}:ingest+read"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
GROUP_ID = "pulse-health"  # pulse.health.background.GROUP_ID
SCHEMA = "health"


def with_database(stack: Stack, name: str) -> Stack:
    """The stack with a database of its own: each part starts from empty health tables."""
    return replace(stack, database_url=create_database(stack.database_url, name))


@contextmanager
def temporary_database(stack: Stack, name: str) -> Iterator[Stack]:
    """`with_database`, dropped afterwards. Tables a part leaves behind are vacuumed by
    PostgreSQL later, maybe while a later part measures: after the throughput runs, reads
    measured p99 14-98 ms; alone, 4-6 ms."""
    own = with_database(stack, name)
    try:
        yield own
    finally:
        drop_database(stack.database_url, name)


def engine_of(stack: Stack, schema: str = SCHEMA) -> AsyncEngine:
    """A small engine whose unqualified tables are those of `schema` (health's unless
    told)."""
    return create_async_engine(
        stack.database_url,
        pool_size=2,
        connect_args={"server_settings": {"search_path": schema}},
    )


async def fetch_all(engine: AsyncEngine, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Rows of one query, in its own transaction."""
    async with engine.begin() as connection:
        return [tuple(row) for row in await connection.execute(text(sql), params)]


async def execute(engine: AsyncEngine, sql: str, **params: Any) -> None:
    """One statement that returns no rows, in its own transaction."""
    async with engine.begin() as connection:
        await connection.execute(text(sql), params)


def service_process(name: str) -> psutil.Process:
    """The `python -m pulse.<name> serve` child `bench.stack.service` started."""
    wanted = ["-m", f"pulse.{name}", "serve"]
    for child in psutil.Process(os.getpid()).children(recursive=True):
        try:
            command = child.cmdline()
        except psutil.NoSuchProcess:
            continue
        if command[-3:] == wanted:
            return child
    raise RuntimeError(f"no running pulse.{name} process")


def memory_of(process: psutil.Process) -> dict[str, int]:
    """Resident and peak resident bytes (VmHWM) of a process."""
    peak = 0
    with open(f"/proc/{process.pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                peak = int(line.split()[1]) * 1024
    return {"rss_bytes": process.memory_info().rss, "peak_rss_bytes": peak}


def cpu_seconds(stack: Stack, process: psutil.Process) -> dict[str, float]:
    """CPU seconds (user and system) used so far by `process` and by the PostgreSQL of
    `stack`: its postmaster, the processes it runs and those it has reaped. Beside a rate,
    they say what the work cost while other processes share the cores."""
    postmaster = psutil.Process(
        int((stack.workdir / "pg" / "postmaster.pid").read_text().split()[0])
    )
    times = postmaster.cpu_times()
    postgres = times.user + times.system + times.children_user + times.children_system
    for child in postmaster.children():
        try:
            child_times = child.cpu_times()
        except psutil.NoSuchProcess:
            continue
        postgres += child_times.user + child_times.system
    own = process.cpu_times()
    return {"service": own.user + own.system, "postgres": postgres}


def scrape(url: str, timeout_s: float = 10.0) -> dict[str, float]:
    """The service's Prometheus samples, `name{labels}` summed over label values: name."""
    body = httpx.get(f"{url}/metrics", timeout=timeout_s).text
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            found[sample.name] = found.get(sample.name, 0.0) + sample.value
    return found


def batch_figures(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """Mean consumed batch size and time, and re-scores, between two scrapes."""

    def delta(name: str) -> float:
        return after.get(name, 0.0) - before.get(name, 0.0)

    def mean(total: str, count: str, scale: float = 1.0) -> float:
        n = delta(count)
        return round(scale * delta(total) / n, 1) if n else 0.0

    return {
        "batches": int(delta("pulse_batch_size_messages_count")),
        "mean_batch_messages": mean(
            "pulse_batch_size_messages_sum", "pulse_batch_size_messages_count"
        ),
        "mean_batch_ms": mean(
            "pulse_batch_processing_duration_seconds_sum",
            "pulse_batch_processing_duration_seconds_count",
            1000,
        ),
        "accounts_rescored": int(delta("pulse_health_accounts_rescored_total")),
        "mean_rescore_call_ms": mean(
            "pulse_health_rescore_seconds_sum", "pulse_health_rescore_seconds_count", 1000
        ),
    }


def percentile(ordered: list[float], fraction: float) -> float:
    """The value below which `fraction` of the sorted sample lies (nearest rank)."""
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def latency_summary(seconds: list[float]) -> dict[str, float]:
    """p50, p99 and max in milliseconds."""
    ordered = sorted(seconds)
    return {
        "p50_ms": round(percentile(ordered, 0.50) * 1000, 1),
        "p99_ms": round(percentile(ordered, 0.99) * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1) if ordered else float("nan"),
    }


@contextmanager
def profiling(enabled: bool) -> Iterator[None]:
    """`PULSE_BENCH_PROFILE` only around the service that should be profiled: every
    service writes /tmp/pulse-bench-<name>.folded, so a later one would overwrite it."""
    saved = os.environ.pop("PULSE_BENCH_PROFILE", None)
    if enabled and saved:
        os.environ["PULSE_BENCH_PROFILE"] = saved
    try:
        yield
    finally:
        os.environ.pop("PULSE_BENCH_PROFILE", None)
        if saved is not None:
            os.environ["PULSE_BENCH_PROFILE"] = saved


async def sleep_until(moment: float) -> None:
    """Sleep until the event loop's clock reads `moment`."""
    delay = moment - asyncio.get_running_loop().time()
    if delay > 0:
        await asyncio.sleep(delay)


#: Counters that move while health works through what was due at load: re-scores, and
#: the outbox relay publishing their score events.
SETTLING = ("pulse_health_accounts_rescored_total", "pulse_kafka_messages_produced_total")


def wait_settled(url: str, timeout_s: float, quiet_s: float = 5.0) -> dict[str, float]:
    """Wait until health has re-scored what was due at load and published the score events
    (neither moved for `quiet_s`): reads are measured on a quiet service."""
    started = time.perf_counter()
    last: list[float] = []
    quiet_since = time.perf_counter()
    while time.perf_counter() - quiet_since < quiet_s:
        if time.perf_counter() - started > timeout_s:
            raise TimeoutError(f"health kept re-scoring for {timeout_s}s after loading")
        samples = scrape(url, timeout_s)
        seen = [samples.get(name, 0.0) for name in SETTLING]
        if seen != last:
            last, quiet_since = seen, time.perf_counter()
        time.sleep(0.5)
    return {
        "rescored_after_load": int(last[0]),
        "published_after_load": int(last[1]),
        "rescore_after_load_s": round(time.perf_counter() - started - quiet_s, 1),
    }
