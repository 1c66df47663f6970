"""A stored offset is used only for the incarnation of the topic it was read from."""

from __future__ import annotations

from aiokafka import TopicPartition

from pulse.common.db.offsets import StoredOffset
from pulse.common.kafka.incarnations import TopicRecreated, stale_offsets

USAGE_0 = TopicPartition("pulse.events.usage", 0)
USAGE_1 = TopicPartition("pulse.events.usage", 1)
SUPPORT_0 = TopicPartition("pulse.events.support", 0)


def test_an_offset_stored_under_another_topic_id_is_stale() -> None:
    stored = {USAGE_0: StoredOffset(2000, "old-id"), USAGE_1: StoredOffset(1500, "old-id")}

    stale = stale_offsets(stored, {"pulse.events.usage": "new-id"})

    assert stale == [
        TopicRecreated(USAGE_0, 2000, "old-id", "new-id"),
        TopicRecreated(USAGE_1, 1500, "old-id", "new-id"),
    ]


def test_an_offset_of_the_same_topic_id_is_resumed() -> None:
    stored = {USAGE_0: StoredOffset(2000, "id-a"), SUPPORT_0: StoredOffset(7, "id-b")}

    assert stale_offsets(stored, {"pulse.events.usage": "id-a", "pulse.events.support": "x"}) == [
        TopicRecreated(SUPPORT_0, 7, "id-b", "x")
    ]


def test_offsets_without_ids_on_either_side_cannot_be_judged() -> None:
    # Rows stored before topic ids, or a broker that gives topics none: the runner's
    # truncation check is what notices those.
    stored = {USAGE_0: StoredOffset(2000, None), SUPPORT_0: StoredOffset(7, "id-b")}

    assert stale_offsets(stored, {"pulse.events.usage": "id-a", "pulse.events.support": None}) == []
