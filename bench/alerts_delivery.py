"""Alerts end to end: from ingest's 202 to the signed webhook at a local receiver, under
a steady load through ingest.

95% of the events are ordinary usage of 10k accounts; 5% are a sponsor leaving a fresh
account (`contact.changed`, role sponsor, change left), which the default
`key_contact_left` rule turns into one new alert at once: each such "trip" is one
`alert.opened` message. A trip's latency is from the 202 of the request that carried it to
the arrival of its message at the receiver (`bench.webhook_receiver`), verified with the
Standard Webhooks library.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson

from bench.health_common import (
    API_KEY,
    batch_figures,
    latency_summary,
    profiling,
    scrape,
    sleep_until,
    temporary_database,
)
from bench.health_events import Raw, Storyteller
from bench.stack import Stack, service
from bench.webhook_receiver import Arrival, WebhookReceiver, serving
from pulse.devtools.embedded import free_port
from pulse.devtools.samples import rfc3339

ACCOUNTS = 10_000
PREFIX = "adeliver"
#: Ingest sends, the alerts API subscribes (admin) and reads with it.
API_KEYS = f"bench:{API_KEY}:ingest+read+admin"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
MESSAGE_TYPE = "alert.opened"
WARM_UP_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class DeliveryOptions:
    """Rate, length and mix of the end-to-end part."""

    events_per_s: int = 1_000
    seconds: float = 30.0
    #: Load sent before the measured seconds, its trips not recorded: alerts settles into
    #: the steady rate (its batches, PostgreSQL's caches) after the warm-up's burst.
    settle_s: float = 5.0
    batch: int = 50
    trip_share: float = 0.05
    drain_timeout_s: float = 30.0


@dataclass(frozen=True)
class Request:
    """One ingest request of the load and the trip accounts it carries."""

    body: bytes
    trips: tuple[str, ...]


@dataclass
class Trips:
    """When each trip's request was answered 202, and how long that answer took."""

    accepted: dict[str, float] = field(default_factory=dict)
    answer_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def sponsor_left(account_id: str, at: datetime) -> Raw:
    """The event that opens a `key_contact_left` alert at once."""
    return {
        "type": "contact.changed",
        "account_id": account_id,
        "occurred_at": rfc3339(at),
        "source": "bench",
        "data": {"contact_id": f"{account_id}-sponsor", "role": "sponsor", "change": "left"},
    }


def load_requests(options: DeliveryOptions, at: datetime) -> list[Request]:
    """The load, settling then measured: `settle_s + seconds` of events in requests of
    `batch`, trips among usage."""
    stories = Storyteller(seed=29, count=ACCOUNTS)
    choose = random.Random(31)
    requests = []
    trips = 0
    for _ in range(requests_in(options.settle_s + options.seconds, options)):
        events, tripped = [], []
        for _ in range(options.batch):
            if choose.random() < options.trip_share:
                trips += 1
                tripped.append(f"trip-{trips:05d}")
                events.append(sponsor_left(tripped[-1], at))
            else:
                events.append(stories.usage(choose.choice(stories.accounts), at))
        requests.append(Request(orjson.dumps({"events": events}), tuple(tripped)))
    return requests


def requests_in(seconds: float, options: DeliveryOptions) -> int:
    """How many requests `seconds` of the load take."""
    return int(seconds * options.events_per_s / options.batch)


def warm_up_requests(at: datetime) -> list[bytes]:
    """One usage event per account, so the measured phase finds every watch known."""
    stories = Storyteller(seed=29, count=ACCOUNTS)
    raw = [stories.usage(a, at) for a in stories.accounts]
    return [orjson.dumps({"events": raw[n : n + 500]}) for n in range(0, len(raw), 500)]


def account_of(arrival: Arrival) -> str | None:
    """The alert's account in an `alert.opened` body (`data.account_id`, or under
    `data.alert`)."""
    data = arrival.data
    found = data.get("account_id") or (data.get("alert") or {}).get("account_id")
    return str(found) if found is not None else None


class Driver:
    """Sends load to ingest and subscribes the receiver at alerts."""

    def __init__(self, ingest: httpx.AsyncClient, receiver: WebhookReceiver) -> None:
        self.ingest = ingest
        self.receiver = receiver
        self.trips = Trips()

    async def post(self, body: bytes) -> float:
        """POST /v1/events; seconds to the 202."""
        started = time.perf_counter()
        response = await self.ingest.post("/v1/events", content=body)
        if response.status_code != 202:
            raise RuntimeError(f"ingest answered {response.status_code}: {response.text[:300]}")
        return time.perf_counter() - started

    async def send(self, request: Request, record: bool) -> None:
        """One request; its trips are timed from its 202 when recorded."""
        try:
            answer_s = await self.post(request.body)
        except (RuntimeError, httpx.HTTPError) as error:
            self.trips.errors.append(repr(error)[:300])
            return
        accepted = time.perf_counter()
        if not record:
            return
        for account_id in request.trips:
            self.trips.accepted[account_id] = accepted
        if request.trips:
            self.trips.answer_s.append(answer_s)

    async def send_load(
        self, requests: list[Request], interval_s: float, record: bool = True
    ) -> float:
        """One request every `interval_s`, open loop; seconds it took to send them all."""
        start = asyncio.get_running_loop().time()
        began = time.perf_counter()
        tasks = []
        for n, request in enumerate(requests):
            await sleep_until(start + n * interval_s)
            tasks.append(asyncio.create_task(self.send(request, record)))
        await asyncio.gather(*tasks)
        return time.perf_counter() - began

    async def wait_for(self, accounts: set[str], timeout_s: float) -> None:
        """Until a message has arrived for every account, or `timeout_s` passed."""
        deadline = time.perf_counter() + timeout_s
        while accounts - self.arrived_accounts().keys():
            left = deadline - time.perf_counter()
            if left <= 0:
                return
            self.receiver.arrived.clear()
            try:
                await asyncio.wait_for(self.receiver.arrived.wait(), timeout=min(left, 0.5))
            except TimeoutError:
                pass

    def arrived_accounts(self) -> dict[str, float]:
        """Accounts an `alert.opened` arrived for, and when."""
        found = {}
        for arrival in self.receiver.arrivals.values():
            account_id = account_of(arrival)
            if arrival.message_type == MESSAGE_TYPE and account_id is not None:
                found[account_id] = arrival.at
        return found


async def subscribe(alerts: httpx.AsyncClient, url: str) -> str:
    """Subscribe `url` to opened alerts; the `whsec_` secret shown this once."""
    response = await alerts.post("/v1/webhooks", json={"url": url, "event_types": [MESSAGE_TYPE]})
    if response.status_code != 201:
        raise RuntimeError(f"subscribing answered {response.status_code}: {response.text[:300]}")
    return str(response.json()["secret"])


async def warm_up(driver: Driver) -> None:
    """Every account known, then one trip through to the receiver (unrecorded)."""
    at = datetime.now(UTC) - timedelta(minutes=1)
    for body in warm_up_requests(at):
        await driver.post(body)
    await driver.post(orjson.dumps({"events": [sponsor_left("trip-warm-up", at)]}))
    await driver.wait_for({"trip-warm-up"}, WARM_UP_TIMEOUT_S)
    if "trip-warm-up" not in driver.arrived_accounts():
        raise TimeoutError(f"no webhook for the warm-up trip in {WARM_UP_TIMEOUT_S}s")


def figures(
    driver: Driver, requests: list[Request], options: DeliveryOptions, elapsed: float
) -> dict[str, Any]:
    """Latencies of the trips whose message arrived, and what went missing or wrong."""
    arrived = driver.arrived_accounts()
    accepted = driver.trips.accepted
    latencies = [arrived[a] - t for a, t in accepted.items() if a in arrived]
    sent = sum(1 for r in requests for _ in r.trips)
    return {
        "trips": sent,
        "trips_accepted": len(accepted),
        "webhooks_received": len(latencies),
        "missing": len(accepted) - len(latencies),
        **latency_summary(latencies),
        "arrived_before_202_seen": sum(1 for s in latencies if s < 0),
        "trip_202_p50_ms": latency_summary(driver.trips.answer_s)["p50_ms"],
        "load_events": len(requests) * options.batch,
        "achieved_events_per_s": round(len(requests) * options.batch / elapsed),
        "signatures_refused": len(driver.receiver.refused),
        "first_refused": driver.receiver.refused[:3],
        "repeats": driver.receiver.repeats,
        "ingest_errors": len(driver.trips.errors),
        "first_errors": driver.trips.errors[:3],
    }


async def drive(ingest_url: str, alerts_url: str, options: DeliveryOptions) -> dict[str, Any]:
    """Receiver up and subscribed, warm-up, then the steady load; the figures."""
    requests = load_requests(options, datetime.now(UTC))
    receiver = WebhookReceiver()
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    headers = {**AUTH, "Content-Type": "application/json"}
    async with (
        serving(receiver) as url,
        httpx.AsyncClient(base_url=ingest_url, headers=headers, limits=limits, timeout=30) as i,
        httpx.AsyncClient(base_url=alerts_url, headers=AUTH, timeout=30) as alerts,
    ):
        receiver.secret = await subscribe(alerts, url)
        driver = Driver(i, receiver)
        await warm_up(driver)
        interval = options.batch / options.events_per_s
        settle = requests_in(options.settle_s, options)
        await driver.send_load(requests[:settle], interval, record=False)
        requests = requests[settle:]
        before = await asyncio.to_thread(scrape, alerts_url)
        elapsed = await driver.send_load(requests, interval)
        await driver.wait_for(set(driver.trips.accepted), options.drain_timeout_s)
        after = await asyncio.to_thread(scrape, alerts_url)
    return {
        **figures(driver, requests, options, elapsed),
        **where_the_time_went(driver, before, after),
    }


def where_the_time_went(
    driver: Driver, before: dict[str, float], after: dict[str, float]
) -> dict[str, Any]:
    """Alerts' batches while measured, its own enqueue-to-delivered latency, and the
    latency of the first and last tenth of the trips (a backlog growing shows as a rise)."""
    batches = batch_figures(before, after)
    delivered = "pulse_webhook_delivery_latency_seconds"
    count = after.get(f"{delivered}_count", 0.0) - before.get(f"{delivered}_count", 0.0)
    total = after.get(f"{delivered}_sum", 0.0) - before.get(f"{delivered}_sum", 0.0)
    arrived = driver.arrived_accounts()
    in_order = sorted((t, arrived[a] - t) for a, t in driver.trips.accepted.items() if a in arrived)
    tenth = max(1, len(in_order) // 10)
    return {
        **{k: batches[k] for k in ("batches", "mean_batch_messages", "mean_batch_ms")},
        "mean_enqueued_to_delivered_ms": round(1000 * total / count, 1) if count else None,
        "first_tenth_p50_ms": latency_summary([s for _, s in in_order[:tenth]])["p50_ms"],
        "last_tenth_p50_ms": latency_summary([s for _, s in in_order[-tenth:]])["p50_ms"],
    }


def run_delivery(
    stack: Stack, options: DeliveryOptions, extra: Mapping[str, str]
) -> dict[str, Any]:
    """Alerts and ingest on a fresh database and topics; trips under steady load."""
    env = {
        "PULSE_TOPIC_PREFIX": PREFIX,
        "PULSE_API_KEYS": API_KEYS,
        "PULSE_INGEST_RATE_LIMIT_EVENTS_PER_S": "1e9",
        "PULSE_INGEST_RATE_LIMIT_BURST": "1000000000",
        "PULSE_WEBHOOK_ALLOW_PRIVATE": "true",
    }
    with (
        temporary_database(stack, "alerts_delivery") as own,
        profiling(False),
        service("alerts", own, free_port(), log_name="alerts-delivery", **{**env, **extra}) as a,
        service("ingest", own, free_port(), log_name="ingest-delivery", **env) as ingest,
    ):
        measured = asyncio.run(drive(ingest, a, options))
    return {
        **measured,
        "accounts": ACCOUNTS,
        "target_events_per_s": options.events_per_s,
        "target_p99_ms": 1000,
    }
