"""The offset store: consumed offsets saved in the same transaction as the state they built."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aiokafka import TopicPartition
from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.common.db.tables import consumer_offsets


async def save_offsets(
    session: AsyncSession, group_id: str, next_offsets: Mapping[TopicPartition, int]
) -> None:
    """Record the next offset to consume per partition; commits with the caller's transaction."""
    if not next_offsets:
        return
    rows = [
        {"group_id": group_id, "topic": tp.topic, "partition": tp.partition, "next_offset": n}
        for tp, n in next_offsets.items()
    ]
    statement = insert(consumer_offsets).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["group_id", "topic", "partition"],
        set_={
            "next_offset": statement.excluded.next_offset,
            "updated_at": statement.excluded.updated_at,
        },
    )
    await session.execute(statement)


async def load_offsets(
    session: AsyncSession, group_id: str, partitions: Iterable[TopicPartition]
) -> dict[TopicPartition, int]:
    """The stored next offsets of these partitions; partitions never committed are absent."""
    wanted = [(tp.topic, tp.partition) for tp in partitions]
    if not wanted:
        return {}
    result = await session.execute(
        select(
            consumer_offsets.c.topic, consumer_offsets.c.partition, consumer_offsets.c.next_offset
        ).where(
            consumer_offsets.c.group_id == group_id,
            tuple_(consumer_offsets.c.topic, consumer_offsets.c.partition).in_(wanted),
        )
    )
    return {TopicPartition(topic, partition): offset for topic, partition, offset in result}
