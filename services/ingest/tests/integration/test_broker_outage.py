"""Kafka down → 503 with Retry-After and nothing half-accepted; back up → the retry lands once."""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import pytest

from pulse.common.kafka.admin import ensure_topics
from pulse.common.settings import Settings
from pulse.common.topics import Topics
from pulse.devtools.embedded import EmbeddedBroker, free_port
from pulse.devtools.samples import SampleEvents
from pulse.devtools.testing.kafka import read_topics
from pulse.devtools.testing.plugin import INGEST_KEY

pytestmark = pytest.mark.integration

IngestClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
async def own_broker() -> AsyncIterator[EmbeddedBroker]:
    """A broker of this test alone, so stopping it disturbs no other test."""
    workdir = Path(tempfile.mkdtemp(prefix="pulse-outage-"))
    broker = EmbeddedBroker(port=free_port(), log_path=workdir / "tansu.log")
    await asyncio.to_thread(broker.start)
    yield broker
    await asyncio.to_thread(broker.stop)


async def test_broker_down_is_503_then_the_retry_lands_exactly_once(
    ingest_client: IngestClientFactory, pulse_settings: Settings, own_broker: EmbeddedBroker
) -> None:
    settings = pulse_settings.model_copy(
        update={
            "kafka_bootstrap_servers": own_broker.bootstrap_servers,
            "producer_request_timeout_ms": 2000,
        }
    )
    samples = SampleEvents(seed=11, accounts=20, now=datetime.now(UTC) - timedelta(minutes=1))
    batch = {"events": samples.mixed(50)}
    async with ingest_client(settings=settings) as client:
        assert (await client.post("/v1/events", json=batch, headers=INGEST_KEY)).status_code == 202
        await asyncio.to_thread(own_broker.stop)
        refused = await client.post("/v1/events", json=batch, headers=INGEST_KEY)
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "2"
        assert refused.json()["error"]["code"] == "unavailable"
        assert "retry" in refused.json()["error"]["message"]
        # The embedded broker keeps topics in memory: it comes back empty, as after a
        # total loss, and an operator (here the test) recreates the topics.
        await asyncio.to_thread(own_broker.start)
        await ensure_topics(settings, Topics(settings.topic_prefix).all)
        deadline = time.monotonic() + 60
        while True:
            retried = await client.post("/v1/events", json=batch, headers=INGEST_KEY)
            if retried.status_code == 202 or time.monotonic() > deadline:
                break
            assert retried.status_code == 503
            await asyncio.sleep(int(retried.headers["Retry-After"]))
    assert retried.status_code == 202
    ids = retried.json()["ids"]
    assert len(set(ids)) == 50
    records = await read_topics(
        own_broker.bootstrap_servers, Topics(settings.topic_prefix).all_events, at_least=50
    )
    on_topics = Counter(orjson.loads(r.value or b"")["id"] for r in records)
    assert on_topics == Counter(ids)  # every event once; nothing from the refused attempt


async def post_until_accepted(client: httpx.AsyncClient, body: object) -> httpx.Response:
    """Post `body` until it is accepted (202) or a minute passed; the last answer."""
    deadline = time.monotonic() + 60
    for _ in range(240):
        response = await client.post("/v1/events", json=body, headers=INGEST_KEY)
        if response.status_code == 202 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.25)
    return response


async def test_a_frozen_broker_is_answered_503_within_the_timeout_then_at_once(
    ingest_client: IngestClientFactory, pulse_settings: Settings, own_broker: EmbeddedBroker
) -> None:
    """A broker that hangs (SIGSTOP: connections open, nothing answered) must not hold
    requests until it comes back: each gets 503 while it is still frozen, and once one
    timed out the next is refused without queueing into the producer."""
    settings = pulse_settings.model_copy(
        update={
            "kafka_bootstrap_servers": own_broker.bootstrap_servers,
            # Far above the publish timeout: the producer alone would wait this long.
            "producer_request_timeout_ms": 60_000,
        }
    )
    samples = SampleEvents(seed=12, accounts=20, now=datetime.now(UTC) - timedelta(minutes=1))
    batch = {"events": samples.mixed(20)}
    pid = own_broker.pid
    assert pid is not None
    answers: list[tuple[int, str, bool]] = []  # status, error message, broker resumed then
    resumed = asyncio.Event()

    async def send() -> None:
        response = await client.post("/v1/events", json=batch, headers=INGEST_KEY)
        message = response.json().get("error", {}).get("message", "")
        answers.append((response.status_code, message, resumed.is_set()))

    async with ingest_client(settings=settings, publish_timeout_s=1.0) as client:
        assert (await client.post("/v1/events", json=batch, headers=INGEST_KEY)).status_code == 202
        os.kill(pid, signal.SIGSTOP)
        try:
            # Resumed once every request is answered, or after 20 s (20 publish timeouts).
            wave = asyncio.gather(*(send() for _ in range(5)))
            await asyncio.wait([asyncio.ensure_future(wave)], timeout=20)
            if wave.done():
                await send()
        finally:
            resumed.set()
            os.kill(pid, signal.SIGCONT)
        await wave
        retried = await post_until_accepted(client, batch)
    assert [(status, after) for status, _, after in answers] == [(503, False)] * 6
    assert all("did not acknowledge" in message for _, message, _ in answers[:5])
    assert "Kafka is unreachable" in answers[5][1]
    assert retried.status_code == 202
