"""What `pulse dev` counts and says while it drains."""

from __future__ import annotations

from aiokafka import TopicPartition

from pulse.devtools.devstack.backlog import events_left
from pulse.devtools.devstack.drain import describe_left

A0, A1, B0 = TopicPartition("a", 0), TopicPartition("a", 1), TopicPartition("b", 0)


def test_events_left_counts_from_zero_where_nothing_is_stored() -> None:
    assert events_left({A0: 10, A1: 7, B0: 0}, {A0: 4}) == 6 + 7


def test_offsets_past_the_end_count_nothing() -> None:
    # After a broker restart the stored offsets lie past the new, shorter topics.
    assert events_left({A0: 3, A1: 5}, {A0: 900, A1: 5}) == 0


def test_progress_names_the_services_with_events_left() -> None:
    assert describe_left({"health": 12_400, "alerts": 0}) == (
        "12,400 events left to consume (health)"
    )
    assert describe_left({"health": 12_400, "alerts": 30}) == (
        "12,430 events left to consume (health 12,400, alerts 30)"
    )
