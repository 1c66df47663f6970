"""Topics in tests: producing a stream and knowing where it ends, and reading what landed
on topics, every record from the beginning."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.partitioner import DefaultPartitioner

from pulse.common.kafka.producer import OutgoingMessage, PulseProducer
from pulse.common.settings import Settings


async def read_topics(
    bootstrap_servers: str,
    topics: Sequence[str],
    *,
    at_least: int = 0,
    idle_s: float = 1.0,
    timeout_s: float = 30.0,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of `topics`, once `at_least` arrived and nothing new came for `idle_s`.

    Reads without a consumer group, so it never moves anyone's offsets.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(await _partitions(consumer, topic))
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []
        deadline = time.monotonic() + timeout_s
        last_new = time.monotonic()
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            fetched = [r for rs in batch.values() for r in rs]
            if fetched:
                records.extend(fetched)
                last_new = time.monotonic()
            elif len(records) >= at_least and time.monotonic() - last_new >= idle_s:
                break
        return records
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    for _ in range(50):
        partitions = consumer.partitions_for_topic(topic)
        if partitions:
            return set(partitions)
        await consumer._client.force_metadata_update()
        await asyncio.sleep(0.1)
    raise AssertionError(f"topic {topic} does not exist")


def end_offsets(messages: Sequence[OutgoingMessage], partitions: int) -> dict[tuple[str, int], int]:
    """How many messages each partition receives: Kafka's default partitioner, as
    PulseProducer uses it (topics start empty, so these are the end offsets)."""
    partitioner = DefaultPartitioner()
    numbers = list(range(partitions))
    counts: Counter[tuple[str, int]] = Counter()
    for message in messages:
        counts[(message.topic, int(partitioner(message.key, numbers, numbers)))] += 1
    return dict(counts)


async def produce(settings: Settings, messages: Sequence[OutgoingMessage]) -> None:
    """Produce every message and wait for the broker's acknowledgement of all."""
    producer = PulseProducer(settings, client_id="test-stream")
    await producer.start()
    try:
        for start in range(0, len(messages), 5000):
            await producer.send_and_wait_all(messages[start : start + 5000])
    finally:
        await producer.stop()
