"""Where a newly assigned partition starts: its stored offset, unless that belongs to
another incarnation of the topic (deleted and created again, or an in-memory broker that
restarted), in which case the partition is read from its beginning."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aiokafka import TopicPartition

from pulse.common.db.offsets import StoredOffset


@dataclass(frozen=True, slots=True)
class TopicRecreated:
    """A stored offset that belongs to an earlier incarnation of its topic."""

    partition: TopicPartition
    stored_offset: int
    stored_topic_id: str
    topic_id: str


def stale_offsets(
    stored: Mapping[TopicPartition, StoredOffset], topic_ids: Mapping[str, str | None]
) -> list[TopicRecreated]:
    """The stored offsets whose topic id differs from the topic's id now.

    An offset stored without an id (older rows) or a broker that gives no ids cannot be
    judged here; the runner's truncation check still notices an end before the offset.
    """
    stale: list[TopicRecreated] = []
    for tp, (offset, stored_id) in sorted(stored.items()):
        current = topic_ids.get(tp.topic)
        if stored_id is not None and current is not None and stored_id != current:
            stale.append(TopicRecreated(tp, offset, stored_id, current))
    return stale
