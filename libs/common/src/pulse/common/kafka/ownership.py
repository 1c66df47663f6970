"""The rebalance step: which partitions this member owns, and their state.

A partition's state and its stored offset are loaded from PostgreSQL in one snapshot
when it is assigned (and again after a batch of it failed); they are dropped when it is
revoked or the member leaves the group. Each rebalance step holds the runner's lock, so
it never interleaves with a batch: a revoke waits for the batch in flight to commit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Set
from typing import Generic, TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from pulse.common.db.engine import snapshot_transaction
from pulse.common.db.offsets import StoredOffset, load_offsets
from pulse.common.kafka.positions import PartitionPositions
from pulse.common.kafka.records import BatchHandler

log = logging.getLogger(__name__)
T = TypeVar("T")


class Ownership(ConsumerRebalanceListener, Generic[T]):  # type: ignore[misc]
    """The listener aiokafka calls on rebalance, and the reload after a failed batch."""

    def __init__(
        self,
        *,
        group_id: str,
        handler: BatchHandler[T],
        sessions: async_sessionmaker[AsyncSession],
        positions: PartitionPositions,
        lock: asyncio.Lock,
    ) -> None:
        self._group_id = group_id
        self._handler = handler
        self._sessions = sessions
        self._positions = positions
        self._lock = lock
        # The consumer the runner's loop drives; set before it starts, since the first
        # assignment may arrive while start() runs and must seek to the stored offsets.
        self.consumer: AIOKafkaConsumer | None = None
        self._failed_assignment: Exception | None = None

    async def on_partitions_revoked(self, revoked: Set[TopicPartition]) -> None:
        """Called by aiokafka before a rebalance; waits for the batch in flight to commit."""
        partitions = set(revoked)
        async with self._lock:
            if partitions:
                log.info("partitions revoked", extra={"partitions": _names(partitions)})
                self._positions.forget(partitions)
                await self._handler.on_revoked(partitions)

    async def on_partitions_assigned(self, assigned: Set[TopicPartition]) -> None:
        """Called by aiokafka after a rebalance: load state and seek to stored offsets."""
        partitions = set(assigned)
        consumer = self.consumer
        if consumer is None or not partitions:
            return
        async with self._lock:
            log.info("partitions assigned", extra={"partitions": _names(partitions)})
            try:
                await self._positions.learn_topic_ids(partitions)
                stored = await self._load(partitions)
                await self._positions.seek(consumer, partitions, stored)
            except Exception as exc:
                log.warning("loading assigned partitions failed (%s); rejoining", exc)
                await self._handler.on_revoked(partitions)
                self._failed_assignment = exc

    def raise_failed_assignment(self) -> None:
        """Raise what loading an assignment failed with, once: the loop then restarts the
        consumer (rejoining the group assigns again) rather than keep partitions that
        have no position."""
        if self._failed_assignment is not None:
            error, self._failed_assignment = self._failed_assignment, None
            raise error

    async def leave(self) -> None:
        """The member left the group (aiokafka calls no revoke then): drop every owned
        partition's state, since another member may change it before this one rejoins."""
        async with self._lock:
            owned = set(self._positions.next)
            self._positions.forget(owned)
            if owned:
                await self._handler.on_revoked(owned)

    async def reload(self, consumer: AIOKafkaConsumer, partitions: set[TopicPartition]) -> None:
        """Drop the state and positions of the owned ones of `partitions` and load both
        again from PostgreSQL. The caller holds the lock."""
        owned = partitions & set(consumer.assignment())
        stored = await self.reload_state(owned)
        await self._positions.seek(consumer, owned, stored)

    async def reload_state(
        self, partitions: set[TopicPartition]
    ) -> dict[TopicPartition, StoredOffset]:
        """Drop the handler's state of `partitions` and load it again, returning the
        offsets stored with it. The caller holds the lock."""
        await self._handler.on_revoked(partitions)
        return await self._load(partitions)

    async def _load(self, partitions: set[TopicPartition]) -> dict[TopicPartition, StoredOffset]:
        async with snapshot_transaction(self._sessions) as session:
            stored = await load_offsets(session, self._group_id, partitions)
            await self._handler.on_assigned(session, partitions)
        return stored


def _names(partitions: set[TopicPartition]) -> list[str]:
    return sorted(f"{tp.topic}[{tp.partition}]" for tp in partitions)
