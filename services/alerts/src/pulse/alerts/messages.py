"""What alerts consumes: events from the domain topics, and health's score changes from
`pulse.health.scores` (decoded by `pulse.common.score_changes`). A message that fails goes
to the dead-letter topic with one of `DeadLetterReason` and every problem's path."""

from __future__ import annotations

from typing import Literal

from pulse.alerts.rules.score_points import ScorePoint
from pulse.common.events import Event
from pulse.common.score_changes import ScoreChange, events_and_scores

#: Why alerts dead-letters a message: the closed set of `pulse-dlq-reason` values it sends.
DeadLetterReason = Literal["empty", "invalid_event", "invalid_score"]

Incoming = Event | ScoreChange
decoder = events_and_scores


def score_point(change: ScoreChange) -> ScorePoint:
    """The change as the rules over scores take it."""
    return ScorePoint(change.message_id, change.computed_at, change.score, change.band)
