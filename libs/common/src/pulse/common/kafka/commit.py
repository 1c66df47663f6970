"""The commit step, and the order that makes consuming effectively once.

A batch commits in three steps, always in this order:

1. Its dead letters are produced and acknowledged by the broker. They go first because
   once the offsets move past a message, nothing would ever send its dead letter; a
   crash before step 2 sends it again on replay, never not at all.
2. ONE PostgreSQL transaction holds the handler's state changes and the next offset of
   every partition in the batch. State and offsets commit together or not at all, so a
   crash at any instant replays exactly what was not committed.
3. An advisory Kafka commit, so lag tools see progress. Its failure changes nothing:
   the offsets that count are PostgreSQL's, read back with the handler's state in one
   snapshot whenever a partition is assigned (`ownership`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import Generic, TypeVar

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from pulse.common.db.offsets import save_offsets
from pulse.common.kafka.dead_letters import send_dead_letters
from pulse.common.kafka.positions import Offsets, PartitionPositions
from pulse.common.kafka.producer import OutgoingMessage, PulseProducer
from pulse.common.kafka.records import BatchHandler, ConsumedMessage, Record
from pulse.common.metrics import KAFKA_CONSUMED, KAFKA_CONSUMER_LAG

log = logging.getLogger(__name__)
T = TypeVar("T")


class BatchCommit(Generic[T]):
    """Commits batches of `group_id` in the order above."""

    def __init__(
        self,
        *,
        group_id: str,
        handler: BatchHandler[T],
        sessions: async_sessionmaker[AsyncSession],
        producer: PulseProducer,
        positions: PartitionPositions,
    ) -> None:
        self._group_id = group_id
        self._handler = handler
        self._sessions = sessions
        self._producer = producer
        self._positions = positions

    async def commit(
        self,
        letters: Sequence[OutgoingMessage],
        records: Sequence[Record[T]],
        next_offsets: Offsets,
    ) -> None:
        """Steps 1 and 2: what must hold before the batch counts as processed."""
        await send_dead_letters(self._producer, letters)
        await self.store(records, next_offsets)

    async def store(self, records: Sequence[Record[T]], next_offsets: Offsets) -> None:
        """Step 2 alone: `records` applied and `next_offsets` saved in one transaction."""
        async with self._sessions() as session, session.begin():
            if records:
                await self._handler.handle(session, records)
            await save_offsets(session, self._group_id, next_offsets, self._positions.topic_ids)

    async def advise(
        self, consumer: AIOKafkaConsumer, messages: Sequence[ConsumedMessage], next_offsets: Offsets
    ) -> None:
        """Step 3, with the consumed and lag metrics of the committed batch."""
        # Counted per topic: labels() per message would cost more than some handlers do.
        for topic, count in Counter(message.topic for message in messages).items():
            KAFKA_CONSUMED.labels(self._group_id, topic).inc(count)
        for tp, next_offset in next_offsets.items():
            highwater = consumer.highwater(tp)
            if highwater is not None:
                KAFKA_CONSUMER_LAG.labels(self._group_id, tp.topic, str(tp.partition)).set(
                    max(highwater - next_offset, 0)
                )
        try:
            await consumer.commit(next_offsets)
        except KafkaError as exc:
            log.info("advisory Kafka commit failed: %s", exc)
