"""The recovery step, after a batch failed to commit: roll back to what PostgreSQL holds,
then either wait out an outage and read the batch again, or apply its records one by one
so the record that fails goes to the dead-letter topic alone and the rest are kept."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from aiokafka import AIOKafkaConsumer

from pulse.common.kafka.commit import BatchCommit
from pulse.common.kafka.dead_letters import DeadLetterer
from pulse.common.kafka.failures import Backoff, is_transient
from pulse.common.kafka.ownership import Ownership
from pulse.common.kafka.positions import Offsets, PartitionPositions
from pulse.common.kafka.records import Record

log = logging.getLogger(__name__)
T = TypeVar("T")


class Recovery(Generic[T]):
    """Recovers from failed batches; `pause` sleeps unless the runner is stopping."""

    def __init__(
        self,
        *,
        commit: BatchCommit[T],
        ownership: Ownership[T],
        positions: PartitionPositions,
        letter: DeadLetterer,
        backoff: Backoff,
        pause: Callable[[float], Awaitable[None]],
    ) -> None:
        self._commit = commit
        self._ownership = ownership
        self._positions = positions
        self._letter = letter
        self._backoff = backoff
        self._pause = pause

    async def recover(
        self,
        consumer: AIOKafkaConsumer,
        exc: Exception,
        records: Sequence[Record[T]],
        next_offsets: Offsets,
    ) -> None:
        """Roll back to what PostgreSQL holds; then retry later, or isolate the bad record."""
        await self._ownership.reload(consumer, set(next_offsets))
        if is_transient(exc):
            delay = self._backoff.next_delay()
            log.warning("batch not committed (%s); retrying in %.1fs", exc, delay)
            await self._pause(delay)
            return
        log.error("batch failed (%r); processing its records one by one", exc)
        try:
            await self._one_by_one(records, next_offsets)
        except Exception as retry_exc:
            await self._ownership.reload(consumer, set(next_offsets))
            log.warning("isolating the failed batch stopped (%s); retrying later", retry_exc)
            await self._pause(self._backoff.next_delay())
            return
        for tp, offset in next_offsets.items():
            self._positions.start_at(consumer, tp, offset)

    async def _one_by_one(self, records: Sequence[Record[T]], next_offsets: Offsets) -> None:
        """Commit each record alone; one the handler rejects is dead-lettered instead. An
        outage stops the walk (raised): the batch is then read again later."""
        for record in records:
            tp = record.message.topic_partition
            past = {tp: record.message.offset + 1}
            try:
                await self._commit.store([record], past)
            except Exception as exc:
                if is_transient(exc):
                    raise
                await self._ownership.reload_state({tp})
                letter = self._letter(record.message, "handler_error", repr(exc))
                await self._commit.commit([letter], [], past)
        # The batch may end in messages that were dead letters, not records.
        await self._commit.store([], next_offsets)
