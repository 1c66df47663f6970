"""The producer every service uses: acks=all, batching, every send awaited to its ack."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.producer.message_accumulator import BatchBuilder

from pulse.common.metrics import KAFKA_PRODUCE_FAILURES, KAFKA_PRODUCED
from pulse.common.settings import Settings

log = logging.getLogger(__name__)

Headers = Sequence[tuple[str, bytes]]

#: How often partition counts are re-read (topics may gain partitions).
PARTITIONS_TTL_S = 30.0
#: Keys whose partition is remembered (murmur2 is pure Python in aiokafka).
PARTITION_CACHE_SIZE = 200_000


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One message to produce: the key decides the partition (Pulse keys by account)."""

    topic: str
    key: bytes | None
    value: bytes
    headers: Headers = ()


class ProduceError(RuntimeError):
    """Kafka did not acknowledge every message; the caller must treat all as unsent."""


class PulseProducer:
    """A started aiokafka producer with acks=all. Idempotence stays off: some brokers
    (tansu) refuse InitProducerId, and Pulse's guarantees rest on ids and Postgres."""

    def __init__(self, settings: Settings, *, client_id: str) -> None:
        self._producer = AIOKafkaProducer(
            **settings.kafka_client_options(),
            client_id=client_id,
            acks="all",
            enable_idempotence=False,
            linger_ms=settings.producer_linger_ms,
            max_batch_size=settings.producer_max_batch_bytes,
            max_request_size=max(settings.producer_max_batch_bytes, 1024 * 1024),
            request_timeout_ms=settings.producer_request_timeout_ms,
            compression_type=None,
        )
        self._started = False
        self._partitioner = DefaultPartitioner()
        self._partitions: dict[str, tuple[list[int], float]] = {}  # partitions, read at
        self._partition_cache: dict[tuple[bytes, int], int] = {}

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

        Messages are grouped per partition into record batches, each with one future: far
        cheaper than a future per message, and the key → partition mapping is Kafka's
        default (murmur2), so a key lands where any other producer would put it.

        Raises ProduceError if any one failed; some may then have been written, which
        is why every Pulse message carries an id that consumers de-duplicate on.
        """
        counts: dict[str, int] = {}
        for m in messages:
            counts[m.topic] = counts.get(m.topic, 0) + 1
        try:
            groups: dict[tuple[str, int], list[OutgoingMessage]] = {}
            for m in messages:
                partition = await self._partition_of(m.topic, m.key)
                groups.setdefault((m.topic, partition), []).append(m)
            futures = [
                await self._producer.send_batch(batch, topic, partition=partition)
                for (topic, partition), group in groups.items()
                for batch in self._batches(group)
            ]
            results = await asyncio.gather(*futures, return_exceptions=True)
        except (KafkaError, OSError) as exc:
            for topic, n in counts.items():
                KAFKA_PRODUCE_FAILURES.labels(topic).inc(n)
            raise ProduceError(f"Kafka did not take the messages: {exc}") from exc
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            for topic, n in counts.items():
                KAFKA_PRODUCE_FAILURES.labels(topic).inc(n)
            raise ProduceError(
                f"{len(failures)} of {len(futures)} record batches were not acknowledged: "
                f"{failures[0]!r}"
            )
        for topic, n in counts.items():
            KAFKA_PRODUCED.labels(topic).inc(n)

    def _batches(self, group: Sequence[OutgoingMessage]) -> list[BatchBuilder]:
        batches = [self._producer.create_batch()]
        for m in group:
            if batches[-1].append(
                key=m.key, value=m.value, timestamp=None, headers=list(m.headers)
            ):
                continue
            batches[-1].close()
            batches.append(self._producer.create_batch())
            if (
                batches[-1].append(
                    key=m.key, value=m.value, timestamp=None, headers=list(m.headers)
                )
                is None
            ):
                raise ProduceError(f"a message of {len(m.value)} bytes exceeds the batch size")
        batches[-1].close()
        return batches

    async def _partition_of(self, topic: str, key: bytes | None) -> int:
        known = self._partitions.get(topic)
        if known is None or time.monotonic() > known[1] + PARTITIONS_TTL_S:
            known = sorted(await self._producer.partitions_for(topic)), time.monotonic()
            self._partitions[topic] = known
        partitions = known[0]
        if key is None:
            return int(self._partitioner(None, partitions, partitions))
        cached = self._partition_cache.get((key, len(partitions)))
        if cached is None:
            if len(self._partition_cache) > PARTITION_CACHE_SIZE:
                self._partition_cache.clear()
            cached = int(self._partitioner(key, partitions, partitions))
            self._partition_cache[(key, len(partitions))] = cached
        return cached

    async def check_ready(self) -> None:
        """Raise if the brokers do not answer a metadata request (callers bound the wait)."""
        await self._producer.client.fetch_all_metadata()
