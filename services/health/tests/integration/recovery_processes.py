"""Watching health child processes and their database in the recovery tests:
committed offsets, metrics, assigned partitions."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import orjson
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from pulse.common.settings import Settings
from pulse.devtools.testing.services import settings_env

GROUP_ID = "pulse-health"  # pulse.health.background.GROUP_ID
SCHEMA = "health"
#: Failure timeouts only: nothing asserts how long anything took.
START_TIMEOUT_S = 90.0
PROGRESS_TIMEOUT_S = 150.0
#: What the health children run with: small batches (many commits to land a kill between),
#: a short session (a killed member leaves the group soon), a frequent tick (time-driven
#: re-scoring runs beside the batches) and small write chunks (a kill can land while one
#: chunk is written and the next scored).
CHILD_SETTINGS = {
    "PULSE_LOG_LEVEL": "INFO",
    "PULSE_CONSUMER_MAX_BATCH": "500",
    "PULSE_CONSUMER_POLL_TIMEOUT_MS": "50",
    "PULSE_CONSUMER_SESSION_TIMEOUT_MS": "6000",
    "PULSE_HEALTH_TICK_S": "1",
    "PULSE_HEALTH_WRITE_CHUNK": "7",
}

# -- the stream --------------------------------------------------------------------------


async def committed(engine: AsyncEngine, prefix: str) -> dict[tuple[str, int], int]:
    """Health's offsets as committed in PostgreSQL with its state."""
    async with engine.connect() as connection:
        table = await connection.execute(text("SELECT to_regclass('consumer_offsets')"))
        if table.scalar() is None:
            return {}  # not migrated yet
        rows = await connection.execute(
            text(
                "SELECT topic, partition, next_offset FROM consumer_offsets "
                "WHERE group_id = :group AND topic LIKE :topics"
            ),
            {"group": GROUP_ID, "topics": f"{prefix}.%"},
        )
        return {(topic, partition): offset for topic, partition, offset in rows}


async def scalar(engine: AsyncEngine, sql: str) -> int:
    """One number from health's schema."""
    async with engine.connect() as connection:
        return int((await connection.execute(text(sql))).scalar_one())


async def wait_for_offsets(
    engine: AsyncEngine,
    prefix: str,
    ends: dict[tuple[str, int], int],
    processes: Sequence[subprocess.Popen[bytes]],
    logs: Sequence[Path],
) -> None:
    """Until every partition is committed at its end (fails after PROGRESS_TIMEOUT_S or
    when a health process dies)."""
    deadline = time.monotonic() + PROGRESS_TIMEOUT_S
    seen: dict[tuple[str, int], int] = {}
    while time.monotonic() < deadline:
        seen = await committed(engine, prefix)
        if all(seen.get(tp, 0) >= end for tp, end in ends.items()):
            assert {tp: seen.get(tp, 0) for tp in ends} == ends, "committed past the end"
            return
        for process, log in zip(processes, logs, strict=True):
            assert process.poll() is None, f"health exited with {process.returncode}; see {log}"
        await asyncio.sleep(0.1)
    behind = {f"{t}[{p}]": (seen.get((t, p), 0), end) for (t, p), end in ends.items()}
    raise AssertionError(f"offsets (committed, end) never reached the end: {behind}; see {logs}")


def health_env(settings: Settings) -> dict[str, str]:
    """The environment of a health child on `settings`."""
    return settings_env(settings, **CHILD_SETTINGS)


def metric_total(url: str, name: str) -> float:
    """The sum of one counter over its labels, from a process's /metrics."""
    response = httpx.get(f"{url}/metrics", timeout=10)
    response.raise_for_status()
    total = 0.0
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == name:
                total += sample.value
    return total


def fresh_events(url: str) -> float:
    """How many new event ids a health process took (counted toward a score, or not)."""
    return metric_total(url, "pulse_health_events_applied_total") + metric_total(
        url, "pulse_health_events_ignored_total"
    )


def assigned_partitions(log: Path) -> set[str] | None:
    """The partitions of the latest "partitions assigned" line of a health log, if any."""
    latest: set[str] | None = None
    for line in log.read_bytes().splitlines():
        if b"partitions assigned" not in line:
            continue
        try:
            entry = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if entry.get("message") == "partitions assigned":
            latest = set(entry["partitions"])
    return latest
