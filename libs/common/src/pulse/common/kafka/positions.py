"""Where the runner reads each owned partition: the offset PostgreSQL stored for it,
unless that belongs to another incarnation of the topic or lies past the partition's end,
in which case the partition is read from its beginning, loudly.

Event ids keep such a replay from double counting.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from pulse.common.db.offsets import StoredOffset, save_offsets
from pulse.common.kafka.incarnations import TopicRecreated, stale_offsets
from pulse.common.kafka.topic_ids import topic_ids
from pulse.common.metrics import OFFSET_RESETS
from pulse.common.settings import Settings

log = logging.getLogger(__name__)
Offsets = dict[TopicPartition, int]


class PartitionPositions:
    """The next offset to process per owned partition, and the ids of the topics read."""

    def __init__(
        self, settings: Settings, group_id: str, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        self._settings = settings
        self._group_id = group_id
        self._sessions = sessions
        # As PostgreSQL has it: records below it were already applied (a fetch that raced
        # a seek) and are skipped.
        self.next: Offsets = {}
        # The id of each topic as of its last assignment, stored with the offsets.
        self.topic_ids: dict[str, str | None] = {}

    async def learn_topic_ids(self, partitions: Iterable[TopicPartition]) -> None:
        """Ask the broker which incarnation of each topic it holds now."""
        self.topic_ids.update(await topic_ids(self._settings, {tp.topic for tp in partitions}))

    def forget(self, partitions: Iterable[TopicPartition]) -> None:
        """Partitions no longer owned."""
        for tp in partitions:
            self.next.pop(tp, None)

    async def seek(
        self,
        consumer: AIOKafkaConsumer,
        partitions: set[TopicPartition],
        stored: Mapping[TopicPartition, StoredOffset],
    ) -> None:
        """Start each partition at its stored offset, or at its beginning when it has none
        or the stored one belongs to an earlier incarnation of the topic."""
        recreated = stale_offsets(stored, self.topic_ids)
        resume = {tp: offset for tp, (offset, _) in stored.items() if tp in partitions}
        for stale in recreated:
            del resume[stale.partition]
        fresh = [tp for tp in partitions if tp not in resume]
        starts: Mapping[TopicPartition, int] = (
            await consumer.beginning_offsets(fresh) if fresh else {}
        )
        for tp in partitions:
            self.start_at(consumer, tp, resume[tp] if tp in resume else starts[tp])
        if recreated:
            await self._restart_recreated(recreated, starts)

    async def _restart_recreated(
        self, recreated: Sequence[TopicRecreated], starts: Mapping[TopicPartition, int]
    ) -> None:
        """Say loudly that a topic was created again, and store where it is read from now,
        so no later assignment resumes at the old incarnation's offset."""
        for stale in recreated:
            OFFSET_RESETS.labels(self._group_id, stale.partition.topic).inc()
            log.error(
                "the topic was created again since its offset was stored (another topic "
                "id); reading it from the beginning",
                extra={
                    "topic": stale.partition.topic,
                    "partition": stale.partition.partition,
                    "stored_offset": stale.stored_offset,
                    "stored_topic_id": stale.stored_topic_id,
                    "topic_id": stale.topic_id,
                },
            )
        restarted = {stale.partition: starts[stale.partition] for stale in recreated}
        async with self._sessions.begin() as session:
            await save_offsets(session, self._group_id, restarted, self.topic_ids)

    async def check_truncation(self, consumer: AIOKafkaConsumer) -> None:
        """Notice partitions whose end lies before what we already processed.

        That means the topic lost data or was recreated on a broker without topic ids.
        (End offsets are not trusted: some brokers report them wrong; the high watermark
        of a fetch is right.)
        """
        lost = [
            tp
            for tp, position in self.next.items()
            if (highwater := consumer.highwater(tp)) is not None and highwater < position
        ]
        if not lost:
            return
        starts: Mapping[TopicPartition, int] = await consumer.beginning_offsets(lost)
        for tp in lost:
            OFFSET_RESETS.labels(self._group_id, tp.topic).inc()
            log.error(
                "stored offset is past the partition's end; the topic lost its data. "
                "Reading it from the beginning",
                extra={
                    "topic": tp.topic,
                    "partition": tp.partition,
                    "stored_offset": self.next[tp],
                    "end_offset": consumer.highwater(tp),
                },
            )
            self.start_at(consumer, tp, starts[tp])

    def start_at(self, consumer: AIOKafkaConsumer, tp: TopicPartition, offset: int) -> None:
        """Read `tp` from `offset` on."""
        self.next[tp] = offset
        consumer.seek(tp, offset)
