"""What renewals consumes: `account.updated` and `contract.changed` from the account domain
topic, and health's score changes from `pulse.health.scores` (decoded by
`pulse.common.score_changes`). A message that cannot be decoded goes to the dead-letter
topic with one of `DeadLetterReason` and each problem's path; `unknown_currency` is
decided later, by the keeper, which knows the account."""

from __future__ import annotations

from typing import Literal

from pulse.common.events import Event
from pulse.common.score_changes import ScoreChange, events_and_scores

#: Why renewals dead-letters a message: the closed set of `pulse-dlq-reason` values it sends.
DeadLetterReason = Literal["empty", "invalid_event", "invalid_score", "unknown_currency"]

Incoming = Event | ScoreChange
decoder = events_and_scores
