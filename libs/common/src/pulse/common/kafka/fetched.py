"""The intake step: which records of a poll are still to process, and how many wait
behind them.

Records below a partition's next offset were applied already (a fetch that raced a
seek) and are skipped; a partition no longer owned (revoked while the fetch was in
flight) is dropped whole.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from aiokafka import TopicPartition

from pulse.common.kafka.positions import Offsets
from pulse.common.kafka.records import ConsumedMessage


class Fetched(NamedTuple):
    """The messages of a poll not processed yet, and each partition's next offset after
    them."""

    messages: list[ConsumedMessage]
    next_offsets: Offsets


def unprocessed(
    batches: Mapping[TopicPartition, Sequence[object]], positions: Mapping[TopicPartition, int]
) -> Fetched:
    """The messages of `batches` at or past their partition's position in `positions`."""
    messages: list[ConsumedMessage] = []
    next_offsets: Offsets = {}
    for tp, records in batches.items():
        position = positions.get(tp)
        if position is None:
            continue
        fresh = [m for m in map(to_message, records) if m.offset >= position]
        if fresh:
            messages.extend(fresh)
            next_offsets[tp] = fresh[-1].offset + 1
    return Fetched(messages, next_offsets)


def records_after(
    highwater: Callable[[TopicPartition], int | None],
    positions: Mapping[TopicPartition, int],
    next_offsets: Mapping[TopicPartition, int],
) -> int:
    """Records in the partitions of `positions` past `next_offsets` (or past the position,
    for a partition the batch has nothing of), by each partition's last known end."""
    waiting = 0
    for tp, position in positions.items():
        end = highwater(tp)
        if end is not None:
            waiting += max(end - next_offsets.get(tp, position), 0)
    return waiting


def to_message(record: object) -> ConsumedMessage:
    """aiokafka's record (untyped) as a `ConsumedMessage`."""
    r = record
    return ConsumedMessage(
        topic=r.topic,  # type: ignore[attr-defined]
        partition=r.partition,  # type: ignore[attr-defined]
        offset=r.offset,  # type: ignore[attr-defined]
        key=r.key,  # type: ignore[attr-defined]
        value=r.value,  # type: ignore[attr-defined]
        timestamp_ms=r.timestamp,  # type: ignore[attr-defined]
        headers=tuple(r.headers or ()),  # type: ignore[attr-defined]
    )
