"""Health freshness: from ingest's 202 to the new score visible over HTTP, under a steady
load of mixed events through ingest.

Probe accounts receive only probe events: each probe is one urgent ticket opened on one
of them, so `tickets_opened_30d` of that account grows by exactly one; after the 202 the
account's health is polled every POLL_S until the component shows the new count.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson

from bench.health_common import (
    API_KEYS,
    AUTH,
    batch_figures,
    latency_summary,
    profiling,
    scrape,
    sleep_until,
    temporary_database,
)
from bench.health_events import Storyteller
from bench.stack import Stack, service
from pulse.devtools.embedded import free_port
from pulse.devtools.samples import rfc3339

ACCOUNTS = 10_000
PROBE_ACCOUNTS = 20
PROBE_MEASURE = "tickets_opened_30d"
POLL_S = 0.01
PROBE_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class FreshnessOptions:
    """Rate and size of the freshness part."""

    events_per_s: int = 1_000
    batch: int = 50
    probes: int = 200
    probe_interval_s: float = 0.15


@dataclass
class Probes:
    """Where each probe account's ticket count stands, and what was measured."""

    counts: dict[str, int]
    latencies: list[float]
    accept_latencies: list[float]
    polls: int = 0
    timeouts: int = 0


class Driver:
    """Sends load and probes to ingest, reads scores from health."""

    def __init__(self, ingest: httpx.AsyncClient, health: httpx.AsyncClient) -> None:
        self.ingest = ingest
        self.health = health
        self.probes = Probes({f"probe-{n:02d}": 0 for n in range(PROBE_ACCOUNTS)}, [], [])
        self.errors: list[str] = []
        self._tickets = 0

    async def post(self, body: bytes) -> float:
        """POST /v1/events; seconds to the 202."""
        started = time.perf_counter()
        response = await self.ingest.post("/v1/events", content=body)
        if response.status_code != 202:
            raise RuntimeError(f"ingest answered {response.status_code}: {response.text[:300]}")
        return time.perf_counter() - started

    async def send_load(self, bodies: list[bytes], interval_s: float) -> None:
        """One body every `interval_s`, open loop: a slow answer does not delay the next."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        tasks = []
        for n, body in enumerate(bodies):
            await sleep_until(start + n * interval_s)
            tasks.append(asyncio.create_task(self._post_logged(body)))
        await asyncio.gather(*tasks)

    async def _post_logged(self, body: bytes) -> None:
        try:
            await self.post(body)
        except (RuntimeError, httpx.HTTPError) as error:
            self.errors.append(repr(error)[:300])

    def probe_body(self, account_id: str) -> bytes:
        """An urgent phone ticket opened now on a probe account."""
        self._tickets += 1
        event = {
            "type": "support.ticket.opened",
            "account_id": account_id,
            "occurred_at": rfc3339(datetime.now(UTC)),
            "data": {"ticket_id": f"probe-t{self._tickets}", "priority": "urgent"},
        }
        return orjson.dumps({"events": [event]})

    async def value_of(self, account_id: str) -> float | None:
        """The probe measure's value in the account's health (None before it has one)."""
        self.probes.polls += 1
        response = await self.health.get(f"/v1/accounts/{account_id}/health")
        if response.status_code != 200:
            return None
        for component in response.json()["components"]:
            if component["measure"] == PROBE_MEASURE:
                return float(component["value"] or 0)
        return None

    async def probe(self, account_id: str, record: bool) -> None:
        """One ticket; the time from its 202 until health shows it."""
        self.probes.counts[account_id] += 1
        expected = self.probes.counts[account_id]
        accept = await self.post(self.probe_body(account_id))
        accepted = time.perf_counter()
        while (await self.value_of(account_id) or 0) < expected:
            if time.perf_counter() - accepted > PROBE_TIMEOUT_S:
                self.probes.timeouts += 1
                return
            await asyncio.sleep(POLL_S)
        if record:
            self.probes.latencies.append(time.perf_counter() - accepted)
            self.probes.accept_latencies.append(accept)

    async def run_probes(self, count: int, interval_s: float) -> None:
        """`count` probes, one every `interval_s`, round robin over the probe accounts."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        names = list(self.probes.counts)
        tasks = []
        for n in range(count):
            await sleep_until(start + n * interval_s)
            account = names[n % len(names)]
            # A probe expects at least the count before it plus one, so two probes of one
            # account in flight at once still measure right.
            tasks.append(asyncio.create_task(self.probe(account, record=True)))
        await asyncio.gather(*tasks)


def load_bodies(seconds: float, options: FreshnessOptions) -> list[bytes]:
    """Mixed events for `seconds` at the configured rate, in request bodies of `batch`."""
    requests = int(seconds * options.events_per_s / options.batch)
    now = datetime.now(UTC)
    stories = Storyteller(seed=23, count=ACCOUNTS)
    raw = stories.mixed(requests * options.batch, now - timedelta(minutes=5), now)
    return [
        orjson.dumps({"events": raw[n : n + options.batch]})
        for n in range(0, len(raw), options.batch)
    ]


def warm_bodies() -> list[bytes]:
    """One `account.updated` per account, so the measured phase finds them known."""
    now = datetime.now(UTC) - timedelta(minutes=10)
    stories = Storyteller(seed=23, count=ACCOUNTS)
    raw = [stories.account_updated(a, now) for a in stories.accounts]
    return [orjson.dumps({"events": raw[n : n + 500]}) for n in range(0, len(raw), 500)]


async def drive(ingest_url: str, health_url: str, options: FreshnessOptions) -> dict[str, Any]:
    """Warm up, then load and probes together; the figures."""
    seconds = options.probes * options.probe_interval_s + 2
    bodies = load_bodies(seconds, options)
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    headers = {**AUTH, "Content-Type": "application/json"}
    async with (
        httpx.AsyncClient(base_url=ingest_url, headers=headers, limits=limits, timeout=30) as i,
        httpx.AsyncClient(base_url=health_url, headers=AUTH, limits=limits, timeout=30) as h,
    ):
        driver = Driver(i, h)
        for body in warm_bodies():
            await driver.post(body)
        for account in driver.probes.counts:  # each probe account known and caught up
            await driver.probe(account, record=False)
        before = await asyncio.to_thread(scrape, health_url)
        started = time.perf_counter()
        await asyncio.gather(
            driver.send_load(bodies, options.batch / options.events_per_s),
            driver.run_probes(options.probes, options.probe_interval_s),
        )
        elapsed = time.perf_counter() - started
        after = await asyncio.to_thread(scrape, health_url)
    probes = driver.probes
    sent = len(bodies) * options.batch
    return {
        "probes": len(probes.latencies),
        "probe_timeouts": probes.timeouts,
        **latency_summary(probes.latencies),
        "probe_202_p50_ms": latency_summary(probes.accept_latencies)["p50_ms"],
        "load_events": sent,
        "achieved_events_per_s": round(sent / elapsed),
        "health_gets_per_s": round(probes.polls / elapsed),
        "ingest_errors": len(driver.errors),
        "first_errors": driver.errors[:3],
        **batch_figures(before, after),
    }


def run_freshness(
    stack: Stack, options: FreshnessOptions, extra: Mapping[str, str]
) -> dict[str, Any]:
    """Ingest and health on a fresh database and topics; probes under steady load."""
    env = {
        "PULSE_TOPIC_PREFIX": "hfresh",
        "PULSE_API_KEYS": API_KEYS,
        "PULSE_INGEST_RATE_LIMIT_EVENTS_PER_S": "1e9",
        "PULSE_INGEST_RATE_LIMIT_BURST": "1000000000",
    }
    with (
        temporary_database(stack, "health_freshness") as own,
        profiling(False),
        service("health", own, free_port(), log_name="health-fresh", **{**env, **extra}) as health,
        service("ingest", own, free_port(), log_name="ingest-fresh", **env) as ingest,
    ):
        measured = asyncio.run(drive(ingest, health, options))
    return {
        **measured,
        "target_events_per_s": options.events_per_s,
        "target_p99_ms": 1000,
    }
