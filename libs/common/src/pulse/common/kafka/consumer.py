"""The consumer runner every stateful service uses.

Order per batch: decode (undecodable messages to the dead-letter topic, acked first),
then ONE Postgres transaction holding the service's state changes and the next offsets,
then an advisory Kafka commit so lag tools see progress. Offsets are read back from
Postgres on every assignment, with the handler's state in one snapshot, so a crash at
any instant replays exactly what was not committed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence, Set
from typing import Generic, TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.errors import KafkaError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from pulse.common.db.engine import snapshot_transaction
from pulse.common.db.offsets import StoredOffset, load_offsets, save_offsets
from pulse.common.kafka.dead_letters import dead_letter, send_dead_letters
from pulse.common.kafka.failures import Backoff, is_transient
from pulse.common.kafka.positions import Offsets, PartitionPositions
from pulse.common.kafka.producer import OutgoingMessage, PulseProducer
from pulse.common.kafka.records import (
    BatchHandler,
    ConsumedMessage,
    Decoder,
    Record,
    UndecodableMessage,
)
from pulse.common.metrics import (
    BATCH_PROCESSING_DURATION,
    BATCH_SIZE,
    DEAD_LETTERS,
    KAFKA_CONSUMED,
    KAFKA_CONSUMER_LAG,
)
from pulse.common.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, runner: ConsumerRunner[object]) -> None:
        self._runner = runner

    async def on_partitions_revoked(self, revoked: Set[TopicPartition]) -> None:
        await self._runner.partitions_revoked(set(revoked))

    async def on_partitions_assigned(self, assigned: Set[TopicPartition]) -> None:
        await self._runner.partitions_assigned(set(assigned))


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
    ) -> None:
        self._settings = settings
        self._group_id = group_id
        self._topics = list(topics)
        self._decode_one = decoder
        self._handler = handler
        self._sessions = session_factory
        self._producer = producer
        self._dlq_topic = dlq_topic
        self._stopping = asyncio.Event()
        self._lock = asyncio.Lock()  # one batch or one rebalance step at a time
        self._consumer: AIOKafkaConsumer | None = None
        self._backoff = Backoff()
        self._positions = PartitionPositions(settings, group_id, session_factory)
        # Set when loading an assignment failed: the loop restarts the consumer (rejoining
        # the group assigns again) instead of leaving partitions without positions.
        self._assignment_error: Exception | None = None
        self._waiting = 0

    @property
    def waiting(self) -> int:
        """Records already in owned partitions after the batch being handled (as of its
        fetch): a handler may work differently while a backlog drains."""
        return self._waiting

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
        consumer = AIOKafkaConsumer(
            **self._settings.kafka_client_options(),
            group_id=self._group_id,
            client_id=f"{self._group_id}-consumer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=self._settings.consumer_session_timeout_ms,
            max_partition_fetch_bytes=self._settings.consumer_fetch_bytes_per_partition,
            heartbeat_interval_ms=max(self._settings.consumer_session_timeout_ms // 4, 100),
            # Range gives one member partition N of EVERY topic: an account's events, keyed
            # alike on all topics, then reach one member, which alone owns its state.
            # (aiokafka's default, round robin, would split an account across members.)
            partition_assignment_strategy=(RangePartitionAssignor,),
        )
        # Set before start: the first assignment may arrive while start() runs, and it
        # must seek to the offsets stored in Postgres.
        self._consumer = consumer
        consumer.subscribe(self._topics, listener=_Rebalance(self))  # type: ignore[arg-type]
        try:
            await consumer.start()
            while not self._stopping.is_set():
                if self._assignment_error is not None:
                    error, self._assignment_error = self._assignment_error, None
                    raise error
                batches = await consumer.getmany(
                    timeout_ms=self._settings.consumer_poll_timeout_ms,
                    max_records=self._settings.consumer_max_batch,
                )
                async with self._lock:
                    if batches:
                        await self._process(consumer, batches)
                    await self._positions.check_truncation(consumer)
        finally:
            self._consumer = None
            await consumer.stop()
            await self._forget_owned()

    async def _forget_owned(self) -> None:
        """Leaving the group (aiokafka calls no revoke then): drop every owned partition's
        state, since another member may own and change it before this one rejoins."""
        async with self._lock:
            owned = set(self._positions.next)
            self._positions.forget(owned)
            if owned:
                await self._handler.on_revoked(owned)

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            pass

    # -- one batch ---------------------------------------------------------------------

    async def _process(
        self, consumer: AIOKafkaConsumer, batches: Mapping[TopicPartition, list[object]]
    ) -> None:
        started = time.perf_counter()
        messages, next_offsets = self._unprocessed(batches)
        if not messages:
            return
        records, letters = self._decode(messages)
        self._waiting = self._records_after(consumer, next_offsets)
        try:
            await send_dead_letters(self._producer, letters)
            await self._commit(records, next_offsets)
        except Exception as exc:
            await self._recover(consumer, exc, records, next_offsets)
            return
        self._backoff.reset()
        self._positions.next.update(next_offsets)
        await self._after_commit(consumer, messages, next_offsets)
        BATCH_SIZE.labels(self._group_id).observe(len(messages))
        BATCH_PROCESSING_DURATION.labels(self._group_id).observe(time.perf_counter() - started)

    def _records_after(self, consumer: AIOKafkaConsumer, next_offsets: Offsets) -> int:
        """Records in owned partitions past `next_offsets` (or the stored positions)."""
        waiting = 0
        for tp, position in self._positions.next.items():
            highwater = consumer.highwater(tp)
            if highwater is not None:
                waiting += max(highwater - next_offsets.get(tp, position), 0)
        return waiting

    def _unprocessed(
        self, batches: Mapping[TopicPartition, list[object]]
    ) -> tuple[list[ConsumedMessage], Offsets]:
        """The messages not processed yet, and the next offset of each partition after them."""
        messages: list[ConsumedMessage] = []
        next_offsets: Offsets = {}
        for tp, records in batches.items():
            position = self._positions.next.get(tp)
            if position is None:
                continue  # revoked while the fetch was in flight
            fresh = [m for m in map(_to_message, records) if m.offset >= position]
            if fresh:
                messages.extend(fresh)
                next_offsets[tp] = fresh[-1].offset + 1
        return messages, next_offsets

    def _decode(
        self, messages: Sequence[ConsumedMessage]
    ) -> tuple[list[Record[T]], list[OutgoingMessage]]:
        records: list[Record[T]] = []
        letters: list[OutgoingMessage] = []
        for message in messages:
            try:
                records.append(Record(message, self._decode_one(message)))
            except UndecodableMessage as exc:
                letters.append(self._letter(message, exc.reason, exc.message))
        return records, letters

    def _letter(self, message: ConsumedMessage, reason: str, error: str) -> OutgoingMessage:
        DEAD_LETTERS.labels(self._group_id, message.topic, reason).inc()
        log.warning(
            "dead-lettering message",
            extra={
                "topic": message.topic,
                "partition": message.partition,
                "offset": message.offset,
                "reason": reason,
                "error": error[:500],
            },
        )
        return dead_letter(
            message, dlq_topic=self._dlq_topic, group_id=self._group_id, reason=reason, error=error
        )

    async def _commit(self, records: Sequence[Record[T]], next_offsets: Offsets) -> None:
        async with self._sessions() as session, session.begin():
            if records:
                await self._handler.handle(session, records)
            await save_offsets(session, self._group_id, next_offsets, self._positions.topic_ids)

    async def _after_commit(
        self, consumer: AIOKafkaConsumer, messages: Sequence[ConsumedMessage], next_offsets: Offsets
    ) -> None:
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
            # Advisory only: Postgres holds the offsets that count.
            await consumer.commit(next_offsets)
        except KafkaError as exc:
            log.info("advisory Kafka commit failed: %s", exc)

    # -- failures ----------------------------------------------------------------------

    async def _recover(
        self,
        consumer: AIOKafkaConsumer,
        exc: Exception,
        records: Sequence[Record[T]],
        next_offsets: Offsets,
    ) -> None:
        """Roll back to what Postgres holds; then retry later, or isolate the bad record."""
        await self._reload(consumer, set(next_offsets))
        if is_transient(exc):
            delay = self._backoff.next_delay()
            log.warning("batch not committed (%s); retrying in %.1fs", exc, delay)
            await self._sleep(delay)
            return
        log.error("batch failed (%r); processing its records one by one", exc)
        try:
            await self._process_one_by_one(records, next_offsets)
        except Exception as retry_exc:
            await self._reload(consumer, set(next_offsets))
            log.warning("isolating the failed batch stopped (%s); retrying later", retry_exc)
            await self._sleep(self._backoff.next_delay())
            return
        for tp, offset in next_offsets.items():
            self._positions.start_at(consumer, tp, offset)

    async def _process_one_by_one(
        self, records: Sequence[Record[T]], next_offsets: Offsets
    ) -> None:
        for record in records:
            tp = record.message.topic_partition
            try:
                await self._commit([record], {tp: record.message.offset + 1})
            except Exception as exc:
                if is_transient(exc):
                    raise
                await self._reload_state({tp})
                letter = self._letter(record.message, "handler_error", repr(exc))
                await send_dead_letters(self._producer, [letter])
                await self._commit([], {tp: record.message.offset + 1})
        await self._commit([], next_offsets)

    async def _reload(self, consumer: AIOKafkaConsumer, partitions: set[TopicPartition]) -> None:
        """Drop in-memory state and positions of `partitions`; reload both from Postgres."""
        owned = partitions & set(consumer.assignment())
        stored = await self._reload_state(owned)
        await self._positions.seek(consumer, owned, stored)

    async def _reload_state(
        self, partitions: set[TopicPartition]
    ) -> dict[TopicPartition, StoredOffset]:
        await self._handler.on_revoked(partitions)
        async with snapshot_transaction(self._sessions) as session:
            stored = await load_offsets(session, self._group_id, partitions)
            await self._handler.on_assigned(session, partitions)
        return stored

    # -- rebalancing -------------------------------------------------------------------

    async def partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        """Called by aiokafka before a rebalance; waits for the batch in flight to commit."""
        async with self._lock:
            if revoked:
                log.info("partitions revoked", extra={"partitions": _names(revoked)})
                self._positions.forget(revoked)
                await self._handler.on_revoked(revoked)

    async def partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        """Called by aiokafka after a rebalance: load state and seek to stored offsets."""
        consumer = self._consumer
        if consumer is None or not assigned:
            return
        async with self._lock:
            log.info("partitions assigned", extra={"partitions": _names(assigned)})
            try:
                await self._positions.learn_topic_ids(assigned)
                async with snapshot_transaction(self._sessions) as session:
                    stored = await load_offsets(session, self._group_id, assigned)
                    await self._handler.on_assigned(session, assigned)
                await self._positions.seek(consumer, assigned, stored)
            except Exception as exc:
                log.warning("loading assigned partitions failed (%s); rejoining", exc)
                await self._handler.on_revoked(assigned)
                self._assignment_error = exc


def _to_message(record: object) -> ConsumedMessage:
    r = record  # aiokafka's ConsumerRecord, untyped
    return ConsumedMessage(
        topic=r.topic,  # type: ignore[attr-defined]
        partition=r.partition,  # type: ignore[attr-defined]
        offset=r.offset,  # type: ignore[attr-defined]
        key=r.key,  # type: ignore[attr-defined]
        value=r.value,  # type: ignore[attr-defined]
        timestamp_ms=r.timestamp,  # type: ignore[attr-defined]
        headers=tuple(r.headers or ()),  # type: ignore[attr-defined]
    )


def _names(partitions: set[TopicPartition]) -> list[str]:
    return sorted(f"{tp.topic}[{tp.partition}]" for tp in partitions)
