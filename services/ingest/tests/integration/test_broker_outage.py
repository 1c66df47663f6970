"""Kafka down → 503 with Retry-After and nothing half-accepted; back up → the retry lands once."""

from __future__ import annotations

import asyncio
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

from pulse.common.embedded import EmbeddedBroker, free_port
from pulse.common.kafka.admin import ensure_topics
from pulse.common.samples import SampleEvents
from pulse.common.settings import Settings
from pulse.common.testing.kafka import read_topics
from pulse.common.testing.plugin import INGEST_KEY
from pulse.common.topics import Topics

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
