"""How fresh a consumer group's state is: the newest time among the messages it has
committed, as `pulse_consumer_newest_event_timestamp_seconds{group}`. The service says
what a message's time is (`MessageTime`); the gauge only moves forward, so a late
message does not pull it back."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Generic, TypeVar

from pulse.common.kafka.records import Record
from pulse.common.metrics import CONSUMER_NEWEST_EVENT_TIMESTAMP

T = TypeVar("T")

#: A decoded message's time (an event's `occurred_at`), or None for one without a time.
MessageTime = Callable[[T], datetime | None]
#: Told each newer time (a service's own freshness gauge).
NewerTime = Callable[[datetime], None]


def newest_time(records: Iterable[Record[T]], time_of: MessageTime[T]) -> datetime | None:
    """The latest time among `records`, or None when none has one."""
    times = (time_of(record.value) for record in records)
    return max((moment for moment in times if moment is not None), default=None)


class NewestCommitted(Generic[T]):
    """The newest committed message time of `group_id`, kept in the gauge."""

    def __init__(
        self, group_id: str, time_of: MessageTime[T] | None, on_newer: NewerTime | None = None
    ) -> None:
        # The gauge's child is made at the first time: a 0 before it reads as 1970.
        self._group_id = group_id
        self._time_of = time_of
        self._on_newer = on_newer
        self.at: datetime | None = None

    def committed(self, records: Iterable[Record[T]]) -> None:
        """`records` committed: move the gauge forward if one is newer."""
        if self._time_of is None:
            return
        newest = newest_time(records, self._time_of)
        if newest is not None and (self.at is None or newest > self.at):
            self.at = newest
            CONSUMER_NEWEST_EVENT_TIMESTAMP.labels(self._group_id).set(newest.timestamp())
            if self._on_newer is not None:
                self._on_newer(newest)
