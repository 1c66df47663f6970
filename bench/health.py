"""The health service's benchmark: throughput, freshness, footprint, reads, worst case.

Each part runs on the benchmark's own broker and PostgreSQL, with its own database and
topic prefix, so one part's state never flatters another. See the part modules:
`health_throughput`, `health_freshness`, `health_footprint`, `health_reads`,
`health_worst` (accounts at every per-account limit).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.health_common import (
    API_KEYS,
    AUTH,
    memory_of,
    profiling,
    scrape,
    service_process,
    wait_settled,
    with_database,
)
from bench.health_footprint import PREFIX as FOOTPRINT_PREFIX
from bench.health_footprint import (
    FootprintOptions,
    account_ids,
    build_database,
    migrate,
    write_back,
)
from bench.health_freshness import FreshnessOptions, run_freshness
from bench.health_reads import ReadOptions, measure_reads
from bench.health_throughput import ThroughputOptions, run_throughput
from bench.health_worst import WorstCaseOptions, run_worst_case
from bench.stack import Stack, embedded_stack, service
from pulse.devtools.embedded import free_port

log = logging.getLogger(__name__)
PARTS = ("throughput", "freshness", "footprint", "reads", "worst_case")
#: Bytes of memory a cached account may take.
TARGET_BYTES_PER_CACHED_ACCOUNT = 4096
LOAD_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class HealthOptions:
    """Which parts run, their sizes, and extra `PULSE_*` settings for health."""

    parts: tuple[str, ...] = PARTS
    throughput: ThroughputOptions = field(default_factory=ThroughputOptions)
    freshness: FreshnessOptions = field(default_factory=FreshnessOptions)
    footprint: FootprintOptions = field(default_factory=FootprintOptions)
    reads: ReadOptions = field(default_factory=ReadOptions)
    worst_case: WorstCaseOptions = field(default_factory=WorstCaseOptions)
    env: Mapping[str, str] = field(default_factory=dict)


def run_health(options: HealthOptions) -> dict[str, Any]:
    """Every part asked for, on one fresh broker and PostgreSQL."""
    results: dict[str, Any] = {}
    with embedded_stack() as stack:
        if "throughput" in options.parts:
            results["throughput"] = timed(run_throughput, stack, options.throughput, options.env)
        if "freshness" in options.parts:
            results["freshness"] = timed(run_freshness, stack, options.freshness, options.env)
        if "footprint" in options.parts or "reads" in options.parts:
            both = timed(footprint_and_reads, stack, options)
            if "error" in both:
                results["footprint"] = both
            results.update({k: v for k, v in both.items() if k in ("footprint", "reads")})
        if "worst_case" in options.parts:  # last: its large tables are dropped, not vacuumed
            results["worst_case"] = timed(run_worst_case, stack, options.worst_case, options.env)
    return results


def timed(part: Any, *args: Any) -> dict[str, Any]:
    """A part's figures plus how long it took; a part that fails is recorded with its
    error (service logs: /tmp/pulse-bench-*/<service>-<part>.log) and the others run."""
    started = time.perf_counter()
    try:
        figures: dict[str, Any] = part(*args)
    except Exception as error:
        log.exception("benchmark part %s failed", part.__name__)
        figures = {"error": f"{type(error).__name__}: {error}"}
    return {**figures, "wall_s": round(time.perf_counter() - started, 1)}


def footprint_and_reads(stack: Stack, options: HealthOptions) -> dict[str, Any]:
    """Build the large database; measure its bytes, the memory of a process that loaded
    it, and reads against that process."""
    started = time.perf_counter()
    footprint = options.footprint
    own, figures = build_database(stack, footprint)
    measure_memory = "footprint" in options.parts
    empty = idle_memory(stack, footprint, options.env) if measure_memory else None
    env = {**health_env(footprint), **options.env}
    accounts = figures["database"]["accounts"]
    results: dict[str, Any] = {}
    with (
        profiling("reads" in options.parts),
        service("health", own, free_port(), log_name="health-100k", **env) as url,
    ):
        loaded = wait_loaded(url, accounts)
        on_load = memory_of(service_process("health"))
        # The clones were last scored "yesterday": their windows moved at midnight, so
        # health re-scores them now (decoding each, keeping the most recent decoded).
        settled = wait_settled(url, LOAD_TIMEOUT_S)
        memory = memory_of(service_process("health"))
        decoded = scrape(url).get("pulse_health_decoded_accounts", 0)
        if "reads" in options.parts:
            asyncio.run(write_back(own))
            ids = account_ids(footprint, with_history=True)
            reads = asyncio.run(measure_reads(url, ids, options.reads))
            results["reads"] = {**reads, "accounts_read": len(ids)}
    if empty is not None:
        figures["memory"] = {
            "cached_accounts": accounts,
            **loaded,
            "after_load": rss(empty, on_load, accounts),
            **settled,
            "decoded_accounts": int(decoded),
            **rss(empty, memory, accounts),
        }
        results["footprint"] = {**figures, "wall_s": round(time.perf_counter() - started, 1)}
    return results


def rss(empty: dict[str, int], loaded: dict[str, int], accounts: int) -> dict[str, float]:
    """Memory of the loaded process against the empty one, per cached account."""
    return {
        "rss_empty_mib": round(empty["rss_bytes"] / 2**20, 1),
        "rss_loaded_mib": round(loaded["rss_bytes"] / 2**20, 1),
        "peak_rss_loaded_mib": round(loaded["peak_rss_bytes"] / 2**20, 1),
        "bytes_per_cached_account": round((loaded["rss_bytes"] - empty["rss_bytes"]) / accounts),
        "target_bytes_per_cached_account": TARGET_BYTES_PER_CACHED_ACCOUNT,
    }


def health_env(footprint: FootprintOptions) -> dict[str, str]:
    """Health on the footprint's topics (their partitions are what it loads)."""
    return {
        "PULSE_TOPIC_PREFIX": FOOTPRINT_PREFIX,
        "PULSE_TOPIC_PARTITIONS": str(footprint.partitions),
        "PULSE_API_KEYS": API_KEYS,
        # The clones are due at once (last scored "yesterday"): re-score them without
        # waiting out a whole default tick.
        "PULSE_HEALTH_TICK_S": "1",
    }


def idle_memory(
    stack: Stack, footprint: FootprintOptions, extra: Mapping[str, str]
) -> dict[str, int]:
    """RSS of a health process on an empty database, settled and having served reads."""
    own = with_database(stack, "health_empty")
    migrate(own)
    env = {**health_env(footprint), **extra}
    with (
        profiling(False),
        service("health", own, free_port(), log_name="health-empty", **env) as url,
    ):
        time.sleep(5)  # partitions assigned, nothing to load
        warm_up(url)
        return memory_of(service_process("health"))


def warm_up(url: str) -> None:
    """A few reads, so both processes measured have run the read path once."""
    with httpx.Client(base_url=url, headers=AUTH, timeout=10) as client:
        for n in range(50):
            client.get(f"/v1/accounts/fp-{n:05d}/health")


def wait_loaded(url: str, accounts: int) -> dict[str, float]:
    """Seconds until health reports `accounts` cached (it loads them when assigned), and
    the longest its HTTP side went unanswered meanwhile (loading holds the event loop)."""
    started = time.perf_counter()
    stalled = 0.0
    while True:
        asked = time.perf_counter()
        if scrape(url, LOAD_TIMEOUT_S).get("pulse_health_cached_accounts", 0) >= accounts:
            break
        stalled = max(stalled, time.perf_counter() - asked)
        if time.perf_counter() - started > LOAD_TIMEOUT_S:
            raise TimeoutError(f"health did not load {accounts} accounts in {LOAD_TIMEOUT_S}s")
        time.sleep(0.5)
    elapsed = time.perf_counter() - started
    time.sleep(2)  # let the load's garbage go before RSS is read
    warm_up(url)
    return {"load_s": round(elapsed, 1), "longest_unanswered_s": round(stalled, 1)}


def table_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(figure, value, ceiling or target, ratio) rows for the printed table."""
    rows: list[tuple[str, str, str, str]] = [
        (f"health {part}", "FAILED", str(figures["error"])[:60], "")
        for part, figures in results.items()
        if "error" in figures
    ]
    results = {k: v for k, v in results.items() if "error" not in v}
    throughput = results.get("throughput")
    if throughput:
        for run in throughput["runs"]:
            rows.append(
                (
                    f"health events/s, {run['partitions']} partition(s)",
                    f"{run['events_per_s']:,}",
                    f"{run['ceiling_bare_consumer_messages_per_s']:,}",
                    f"{run['ratio_to_ceiling']:.1%}",
                )
            )
        every_batch = throughput.get("rescoring_every_batch")  # absent from older results
        if every_batch:
            rows.append(
                (
                    f"  re-scoring every batch, {every_batch['partitions']} partition(s)",
                    f"{every_batch['events_per_s']:,}",
                    f"{every_batch['ceiling_bare_consumer_messages_per_s']:,}",
                    f"{every_batch['ratio_to_ceiling']:.1%}",
                )
            )
        rows.extend(archive_rows(throughput["runs"]))
    fresh = results.get("freshness")
    if fresh:
        rows.append(
            (
                f"health freshness p50/p99 ms @{fresh['achieved_events_per_s']:,}/s",
                f"{fresh['p50_ms']} / {fresh['p99_ms']}",
                "target p99 1000",
                "",
            )
        )
    footprint = results.get("footprint")
    if footprint:
        database, memory = footprint["database"], footprint["memory"]
        rows.append(
            (
                f"health PG bytes/account ({database['accounts']:,})",
                f"{database['bytes_per_account']:,}",
                "",
                "",
            )
        )
        rows.append(
            (
                "health RSS bytes/cached account",
                f"{memory['bytes_per_cached_account']:,}",
                f"target {TARGET_BYTES_PER_CACHED_ACCOUNT:,}",
                "",
            )
        )
    reads = results.get("reads")
    if reads:
        rows.append(
            (
                f"health GET p50/p99/max ms @{reads['achieved_per_s']}/s",
                f"{reads['p50_ms']} / {reads['p99_ms']} / {reads['max_ms']}",
                "target p99 10",
                "",
            )
        )
    worst = results.get("worst_case")
    if worst:
        rows.extend(worst_case_rows(worst))
    return rows


def archive_rows(runs: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """The step archive's bytes per event applied beside the event's own bytes."""
    return [
        (
            f"  archive bytes/event, {run['partitions']} partition(s)",
            f"{archive['bytes_per_event']:,}",
            f"event {archive['mean_message_bytes']:,}",
            f"{archive['ratio_to_message_bytes']:.1f}x",
        )
        for run in runs
        if (archive := run.get("archive"))  # absent from older results
    ]


def worst_case_rows(worst: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """The worst case's events/s beside the usual run's, and its reads."""
    usual, limits = worst["usual"], worst["at_limits"]
    rows = [
        (
            f"health events/s, {worst['accounts']:,} accounts at limits",
            f"{limits['events_per_s']:,}",
            f"usual {usual['events_per_s']:,}",
            f"{worst['ratio_to_usual']:.0%} (target {worst['target_ratio']:.0%})",
        )
    ]
    for name, run in (("at limits", limits), ("usual", usual)):
        reads = run.get("reads")
        if reads:
            rows.append(
                (
                    f"  {name}, GET p50/p99/max ms @{reads['achieved_per_s']}/s",
                    f"{reads['p50_ms']} / {reads['p99_ms']} / {reads['max_ms']}",
                    "target p99 10",
                    "",
                )
            )
    return rows
