"""How fresh the scores are: the newest `occurred_at` among the events health has
committed, as `pulse_health_newest_event_timestamp_seconds` (so `time() - it` is the age
of the newest applied event). The consumer runner finds it (see
`pulse.common.kafka.freshness`): it only moves forward, a late event does not pull it back."""

from __future__ import annotations

from datetime import datetime

from pulse.health import metrics
from pulse.health.messages import Incoming, SetCsmSentiment


def event_time(item: Incoming) -> datetime | None:
    """An event's `occurred_at`; None for a command (it dates no activity)."""
    return None if isinstance(item, SetCsmSentiment) else item.occurred_at


def record_newest_event(occurred_at: datetime) -> None:
    """A newer event was committed: set the gauge to its time."""
    metrics.NEWEST_EVENT_TIMESTAMP.set(occurred_at.timestamp())
