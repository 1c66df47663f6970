"""What evaluating a rule for an account says at a moment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

#: Most events a verdict names: reasons list dates, and a list of hundreds helps nobody.
MAX_EVIDENCE = 20


@dataclass(frozen=True, slots=True)
class Evidence:
    """One event behind a verdict."""

    event_id: str
    occurred_at: datetime
    value: Fraction


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a rule's condition holds at `at`, and what made it so.

    `count` and `total` are over the events in the window (for sums `total` adds the
    field; otherwise it equals `count`). `evidence` is the newest `MAX_EVIDENCE` of those
    events, oldest first. For absence rules `evidence` is the last event, if any,
    `silent_since` is when the silence began, and `count` is 0 when silent, else 1.
    `next_change` is the first moment after `at` the answer can change with no new event;
    None when only an event can change it.

    Rules over health scores say what their `evidence`, `count` and `total` are (see
    `score_levels`, `score_drop`, `renewal`); `band` is the latest band, `previous_band`
    the band before a band or score_below condition began, `renews_at` the moment of the
    renewal a renewal rule watches.
    """

    holds: bool
    at: datetime
    count: int
    total: Fraction
    evidence: tuple[Evidence, ...]
    next_change: datetime | None
    silent_since: datetime | None = None
    band: str | None = None
    previous_band: str | None = None
    renews_at: datetime | None = None
