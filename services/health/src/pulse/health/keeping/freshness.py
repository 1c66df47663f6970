"""How fresh the scores are: the newest `occurred_at` among the events health has
applied, as `pulse_health_newest_event_timestamp_seconds` (so `time() - it` is the age
of the newest applied event). It only moves forward: a late event does not pull it back."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pulse.health import metrics
from pulse.health.messages import Incoming, SetCsmSentiment


def event_time(item: Incoming) -> datetime | None:
    """An event's `occurred_at`; None for a command (it dates no activity)."""
    return None if isinstance(item, SetCsmSentiment) else item.occurred_at


def newest_occurred_at(items: Iterable[Incoming]) -> datetime | None:
    """The latest `occurred_at` of the events among `items` (commands left out), or None."""
    times = (event_time(item) for item in items)
    return max((moment for moment in times if moment is not None), default=None)


class NewestEvent:
    """The newest applied event's time, kept in the gauge."""

    def __init__(self) -> None:
        self.at: datetime | None = None

    def saw(self, items: Iterable[Incoming]) -> None:
        """A batch with `items` was applied: move the gauge forward if one is newer."""
        newest = newest_occurred_at(items)
        if newest is not None and (self.at is None or newest > self.at):
            self.at = newest
            metrics.NEWEST_EVENT_TIMESTAMP.set(newest.timestamp())
