"""The consumer runner every stateful service uses: its public face and the poll loop.

Each poll goes to `batch` (the steps `fetched`, `decoding`, `commit` and `recovery`; the
commit order is documented in `commit`), then `positions` checks for truncated partitions.
`ownership` loads and drops partitions' state as the group rebalances. A failure restarts
the loop from the offsets PostgreSQL holds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from aiokafka import AIOKafkaConsumer
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from pulse.common.kafka.batch import BatchPipeline
from pulse.common.kafka.failures import Backoff, is_transient
from pulse.common.kafka.freshness import MessageTime, NewerTime
from pulse.common.kafka.ownership import Ownership
from pulse.common.kafka.positions import PartitionPositions
from pulse.common.kafka.producer import PulseProducer
from pulse.common.kafka.records import BatchHandler, Decoder
from pulse.common.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")


class ConsumerRunner(Generic[T]):
    """Consumes `topics` in group `group_id` and feeds decoded batches to `handler`."""

    def __init__(
        self,
        *,
        settings: Settings,
        group_id: str,
        topics: Sequence[str],
        decoder: Decoder[T],
        handler: BatchHandler[T],
        session_factory: async_sessionmaker[AsyncSession],
        producer: PulseProducer,
        dlq_topic: str,
        message_time: MessageTime[T] | None = None,
        on_newer_message: NewerTime | None = None,
    ) -> None:
        """`message_time` dates a decoded message for the freshness gauge (see
        `freshness`); without it the group reports none. `on_newer_message` is told each
        newer time committed."""
        self._settings = settings
        self._group_id = group_id
        self._topics = list(topics)
        self._sessions = session_factory
        self._stopping = asyncio.Event()
        self._lock = asyncio.Lock()  # one batch or one rebalance step at a time
        self._backoff = Backoff()
        self._positions = PartitionPositions(settings, group_id, session_factory)
        self._ownership = Ownership(
            group_id=group_id,
            handler=handler,
            sessions=session_factory,
            positions=self._positions,
            lock=self._lock,
        )
        self._batches = BatchPipeline(
            group_id=group_id,
            decoder=decoder,
            handler=handler,
            sessions=session_factory,
            producer=producer,
            dlq_topic=dlq_topic,
            positions=self._positions,
            ownership=self._ownership,
            backoff=self._backoff,
            pause=self._sleep,
            message_time=message_time,
            on_newer_message=on_newer_message,
        )

    @property
    def waiting(self) -> int:
        """Records already in owned partitions after the batch being handled (as of its
        fetch): a handler may work differently while a backlog drains."""
        return self._batches.waiting

    @property
    def group_id(self) -> str:
        """The consumer group, also the key of this runner's stored offsets."""
        return self._group_id

    async def run_exclusive(self, work: Callable[[AsyncSession], Awaitable[None]]) -> None:
        """Run `work` in one transaction, never concurrently with a batch or a rebalance.

        For changes the service makes on its own (timers, re-scoring): they touch the same
        state the handler does, so they must not interleave with a batch.
        """
        async with self._lock, self._sessions.begin() as session:
            await work(session)

    def stop(self) -> None:
        """Ask the loop to finish its current batch and leave the group."""
        self._stopping.set()

    async def run(self) -> None:
        """Consume until `stop()`; broker or database outages are waited out, not fatal."""
        while not self._stopping.is_set():
            try:
                await self._consume()
            except Exception as exc:
                if not is_transient(exc):
                    log.exception("consumer loop failed; restarting from stored offsets")
                else:
                    log.warning("consumer cannot reach a dependency: %s", exc)
                await self._sleep(self._backoff.next_delay())

    async def _consume(self) -> None:
        consumer = _group_member(self._settings, self._group_id)
        # Before start(): the first assignment may arrive while it runs.
        self._ownership.consumer = consumer
        consumer.subscribe(self._topics, listener=self._ownership)
        try:
            await consumer.start()
            while not self._stopping.is_set():
                self._ownership.raise_failed_assignment()
                batches = await consumer.getmany(
                    timeout_ms=self._settings.consumer_poll_timeout_ms,
                    max_records=self._settings.consumer_max_batch,
                )
                async with self._lock:
                    if batches:
                        await self._batches.process(consumer, batches)
                    await self._positions.check_truncation(consumer)
        finally:
            self._ownership.consumer = None
            await consumer.stop()
            await self._ownership.leave()

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            pass


def _group_member(settings: Settings, group_id: str) -> AIOKafkaConsumer:
    """A consumer in `group_id` that leaves offsets to the runner."""
    return AIOKafkaConsumer(
        **settings.kafka_client_options(),
        group_id=group_id,
        client_id=f"{group_id}-consumer",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=settings.consumer_session_timeout_ms,
        max_partition_fetch_bytes=settings.consumer_fetch_bytes_per_partition,
        heartbeat_interval_ms=max(settings.consumer_session_timeout_ms // 4, 100),
        # Range gives one member partition N of EVERY topic: an account's events, keyed
        # alike on all topics, then reach one member, which alone owns its state.
        # (aiokafka's default, round robin, would split an account across members.)
        partition_assignment_strategy=(RangePartitionAssignor,),
    )
