"""The offset store: consumed offsets saved in the same transaction as the state they built.

Each offset is stored with the id of the topic it was read from, so an offset is never
applied to another incarnation of a topic with the same name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from aiokafka import TopicPartition
from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from pulse.common.db.tables import consumer_offsets


class StoredOffset(NamedTuple):
    """The next offset to consume of one partition, and the topic id it belongs to."""

    next_offset: int
    topic_id: str | None


async def save_offsets(
    session: AsyncSession,
    group_id: str,
    next_offsets: Mapping[TopicPartition, int],
    topic_ids: Mapping[str, str | None],
) -> None:
    """Record the next offset to consume per partition; commits with the caller's transaction."""
    if not next_offsets:
        return
    rows = [
        {
            "group_id": group_id,
            "topic": tp.topic,
            "partition": tp.partition,
            "next_offset": n,
            "topic_id": topic_ids.get(tp.topic),
        }
        for tp, n in next_offsets.items()
    ]
    statement = insert(consumer_offsets).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["group_id", "topic", "partition"],
        set_={
            "next_offset": statement.excluded.next_offset,
            "topic_id": statement.excluded.topic_id,
            "updated_at": statement.excluded.updated_at,
        },
    )
    await session.execute(statement)


async def load_offsets(
    session: AsyncSession, group_id: str, partitions: Iterable[TopicPartition]
) -> dict[TopicPartition, StoredOffset]:
    """The stored next offsets of these partitions; partitions never committed are absent."""
    wanted = [(tp.topic, tp.partition) for tp in partitions]
    if not wanted:
        return {}
    t = consumer_offsets
    result = await session.execute(
        select(t.c.topic, t.c.partition, t.c.next_offset, t.c.topic_id).where(
            t.c.group_id == group_id,
            tuple_(t.c.topic, t.c.partition).in_(wanted),
        )
    )
    return {
        TopicPartition(topic, partition): StoredOffset(offset, topic_id)
        for topic, partition, offset, topic_id in result
    }
