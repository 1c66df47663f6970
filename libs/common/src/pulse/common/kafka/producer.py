"""The producer every service uses: acks=all, batching, every send awaited to its ack."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from pulse.common.metrics import KAFKA_PRODUCE_FAILURES, KAFKA_PRODUCED
from pulse.common.settings import Settings

log = logging.getLogger(__name__)

Headers = list[tuple[str, bytes]]


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One message to produce: the key decides the partition (Pulse keys by account)."""

    topic: str
    key: bytes | None
    value: bytes
    headers: Headers = field(default_factory=list)


class ProduceError(RuntimeError):
    """Kafka did not acknowledge every message; the caller must treat all as unsent."""


class PulseProducer:
    """A started aiokafka producer with acks=all. Idempotence stays off: some brokers
    (tansu) refuse InitProducerId, and Pulse's guarantees rest on ids and Postgres."""

    def __init__(self, settings: Settings, *, client_id: str) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=settings.bootstrap_servers(),
            client_id=client_id,
            acks="all",
            enable_idempotence=False,
            linger_ms=settings.producer_linger_ms,
            max_batch_size=settings.producer_max_batch_bytes,
            max_request_size=max(settings.producer_max_batch_bytes, 1024 * 1024),
            request_timeout_ms=10_000,
            compression_type=None,
        )
        self._started = False

    async def start(self) -> None:
        """Connect to the brokers; raises KafkaError when none answers."""
        await self._producer.start()
        self._started = True

    async def stop(self) -> None:
        """Flush what is pending and close. Safe to call twice."""
        if self._started:
            self._started = False
            await self._producer.stop()

    async def send_and_wait_all(self, messages: Sequence[OutgoingMessage]) -> None:
        """Produce every message and return once Kafka acknowledged all of them.

        Raises ProduceError if any one failed; some may then have been written, which
        is why every Pulse message carries an id that consumers de-duplicate on.
        """
        try:
            pending = [
                await self._producer.send(m.topic, m.value, key=m.key, headers=m.headers)
                for m in messages
            ]
            results = await asyncio.gather(*pending, return_exceptions=True)
        except (KafkaError, OSError) as exc:
            for m in messages:
                KAFKA_PRODUCE_FAILURES.labels(m.topic).inc()
            raise ProduceError(f"Kafka did not take the messages: {exc}") from exc
        failures = [r for r in results if isinstance(r, BaseException)]
        counts: dict[str, int] = {}
        for m in messages:
            counts[m.topic] = counts.get(m.topic, 0) + 1
        if failures:
            for topic, n in counts.items():
                KAFKA_PRODUCE_FAILURES.labels(topic).inc(n)
            raise ProduceError(
                f"{len(failures)} of {len(messages)} messages were not acknowledged: {failures[0]}"
            )
        for topic, n in counts.items():
            KAFKA_PRODUCED.labels(topic).inc(n)

    async def check_ready(self) -> None:
        """Raise if the brokers do not answer a metadata request (callers bound the wait)."""
        await self._producer.client.fetch_all_metadata()
