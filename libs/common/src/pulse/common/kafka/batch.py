"""One poll's records through the processing steps, in order: `fetched` (skip what was
applied), `decoding` (bad messages become dead letters), `commit` (dead letters, then
state and offsets in one PostgreSQL transaction), and `recovery` when the commit fails."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Generic, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from pulse.common.kafka.commit import BatchCommit
from pulse.common.kafka.dead_letters import DeadLetterer
from pulse.common.kafka.decoding import decode_batch
from pulse.common.kafka.failures import Backoff
from pulse.common.kafka.fetched import records_after, unprocessed
from pulse.common.kafka.freshness import MessageTime, NewerTime, NewestCommitted
from pulse.common.kafka.ownership import Ownership
from pulse.common.kafka.positions import PartitionPositions
from pulse.common.kafka.producer import PulseProducer
from pulse.common.kafka.records import BatchHandler, Decoder
from pulse.common.kafka.recovery import Recovery
from pulse.common.metrics import BATCH_PROCESSING_DURATION, BATCH_SIZE

T = TypeVar("T")


class BatchPipeline(Generic[T]):
    """Processes the batches of `group_id`; the caller holds the runner's lock."""

    def __init__(
        self,
        *,
        group_id: str,
        decoder: Decoder[T],
        handler: BatchHandler[T],
        sessions: async_sessionmaker[AsyncSession],
        producer: PulseProducer,
        dlq_topic: str,
        positions: PartitionPositions,
        ownership: Ownership[T],
        backoff: Backoff,
        pause: Callable[[float], Awaitable[None]],
        message_time: MessageTime[T] | None = None,
        on_newer_message: NewerTime | None = None,
    ) -> None:
        self._group_id = group_id
        self._newest = NewestCommitted(group_id, message_time, on_newer_message)
        self._decoder = decoder
        self._positions = positions
        self._backoff = backoff
        self._letter = DeadLetterer(group_id, dlq_topic)
        self._commit = BatchCommit(
            group_id=group_id,
            handler=handler,
            sessions=sessions,
            producer=producer,
            positions=positions,
        )
        self._recovery = Recovery(
            commit=self._commit,
            ownership=ownership,
            positions=positions,
            letter=self._letter,
            backoff=backoff,
            pause=pause,
        )
        self.waiting = 0
        """Records in owned partitions after the batch being processed, as of its fetch."""

    async def process(
        self, consumer: AIOKafkaConsumer, batches: Mapping[TopicPartition, list[object]]
    ) -> None:
        """Process what `consumer` fetched; commit it, or recover from its failure."""
        started = time.perf_counter()
        messages, next_offsets = unprocessed(batches, self._positions.next)
        if not messages:
            return
        records, letters = decode_batch(messages, self._decoder, self._letter)
        self.waiting = records_after(consumer.highwater, self._positions.next, next_offsets)
        try:
            await self._commit.commit(letters, records, next_offsets)
        except Exception as exc:
            await self._recovery.recover(consumer, exc, records, next_offsets)
            return
        self._backoff.reset()
        self._positions.next.update(next_offsets)
        self._newest.committed(records)
        await self._commit.advise(consumer, messages, next_offsets)
        BATCH_SIZE.labels(self._group_id).observe(len(messages))
        BATCH_PROCESSING_DURATION.labels(self._group_id).observe(time.perf_counter() - started)
