"""How many accepted events each consumer group has yet to consume, read as `pulse dev` stops.

A group's progress is what it stored in PostgreSQL (`<schema>.consumer_offsets`, committed
with the state it built; the Kafka commit is only advisory). The end of each partition is
the high watermark a FETCH reports: on tansu, ListOffsets (`end_offsets`) can lag behind
after multi-record batches (measured: 1,639 where 1,667 records were written), while the
watermark of a fetch is exact.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from pulse.common.db.engine import check_schema_name
from pulse.common.topics import Topics


@dataclass(frozen=True, slots=True)
class ConsumerGroup:
    """A consumer group of a service: its offsets live in the schema named after it."""

    service: str
    group_id: str
    topics: Callable[[Topics], tuple[str, ...]]


#: Every group `pulse dev` waits for before it stops the broker; a service that starts
#: consuming adds its group here. Declared, not discovered: a group that never committed
#: has no offsets anywhere, which is exactly when everything is left for it to consume.
CONSUMER_GROUPS: tuple[ConsumerGroup, ...] = (
    ConsumerGroup(
        service="health",
        group_id="pulse-health",  # pulse.health.background.GROUP_ID
        topics=lambda topics: (*topics.all_events, topics.health_commands),
    ),
    ConsumerGroup(
        service="alerts",
        group_id="pulse-alerts",  # pulse.alerts.background.GROUP_ID
        topics=lambda topics: (*topics.all_events, topics.health_scores),
    ),
    ConsumerGroup(
        service="renewals",
        group_id="pulse-renewals",  # pulse.renewals.background.GROUP_ID
        topics=lambda topics: (topics.for_event_type("account.updated"), topics.health_scores),
    ),
)

#: Fetched records are thrown away; a small fetch keeps each round cheap.
_FETCH_BYTES_PER_PARTITION = 64 * 1024
_FETCH_WAIT_MS = 50


def events_left(
    highwaters: Mapping[TopicPartition, int], stored: Mapping[TopicPartition, int]
) -> int:
    """Records past the stored next offsets (0 where none is stored) up to the watermarks."""
    return sum(max(end - stored.get(tp, 0), 0) for tp, end in highwaters.items())


class Backlog:
    """Reads, per service, the events its consumer groups have yet to consume."""

    def __init__(
        self,
        *,
        bootstrap_servers: str,
        database_url: str,
        topics: Topics,
        groups: Iterable[ConsumerGroup] = CONSUMER_GROUPS,
    ) -> None:
        self._groups = tuple(groups)
        self._topics = topics
        self._bootstrap_servers = bootstrap_servers
        self._engine: AsyncEngine = create_async_engine(database_url, poolclass=NullPool)
        self._partitions: dict[ConsumerGroup, list[TopicPartition]] = {}

    async def __aenter__(self) -> Self:
        # Created here: aiokafka binds its client to the running event loop.
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap_servers,
            client_id="pulse-dev-drain",
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=_FETCH_BYTES_PER_PARTITION,
            fetch_max_wait_ms=_FETCH_WAIT_MS,
        )
        try:
            await self._consumer.start()
            existing = await self._consumer.topics()
        except BaseException:
            await self._consumer.stop()
            await self._engine.dispose()
            raise
        for group in self._groups:
            self._partitions[group] = [
                TopicPartition(topic, partition)
                for topic in group.topics(self._topics)
                if topic in existing
                for partition in sorted(self._consumer.partitions_for_topic(topic) or ())
            ]
        self._consumer.assign(sorted({tp for tps in self._partitions.values() for tp in tps}))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._consumer.stop()
        await self._engine.dispose()

    async def left(self) -> dict[str, int]:
        """Events left to consume per service (summed over its groups)."""
        stored = {group: await self._stored_offsets(group) for group in self._groups}
        # Fetch from the lowest stored offset, so a round reads what is left, not the log.
        start: dict[TopicPartition, int] = {}
        for group, partitions in self._partitions.items():
            for tp in partitions:
                start[tp] = min(start.get(tp, 2**63), stored[group].get(tp, 0))
        highwaters = await self._highwaters(start)
        left: dict[str, int] = {}
        for group, partitions in self._partitions.items():
            ends = {tp: highwaters[tp] for tp in partitions}
            left[group.service] = left.get(group.service, 0) + events_left(ends, stored[group])
        return left

    async def _stored_offsets(self, group: ConsumerGroup) -> dict[TopicPartition, int]:
        schema = check_schema_name(group.service)
        query = text(
            f"SELECT topic, partition, next_offset FROM {schema}.consumer_offsets"
            " WHERE group_id = :group_id"
        )
        async with self._engine.connect() as connection:
            rows = await connection.execute(query, {"group_id": group.group_id})
            return {TopicPartition(topic, part): offset for topic, part, offset in rows}

    async def _highwaters(self, start: Mapping[TopicPartition, int]) -> dict[TopicPartition, int]:
        """Each partition's high watermark from a fetch answered after this call began."""
        began_ms = int(time.time() * 1000)  # what aiokafka stamps fetch answers with
        for tp, offset in start.items():
            self._consumer.seek(tp, offset)  # drops records buffered at other positions
        waiting = set(start)
        while waiting:
            await self._consumer.getmany(*waiting, timeout_ms=_FETCH_WAIT_MS * 4)
            waiting = {
                tp
                for tp in waiting
                if (self._consumer.last_poll_timestamp(tp) or 0) < began_ms
                or self._consumer.highwater(tp) is None
            }
        return {tp: self._consumer.highwater(tp) or 0 for tp in start}
