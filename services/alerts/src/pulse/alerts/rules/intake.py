"""Which events a rule state takes: not duplicates, not too late, time never backwards.

An account's latest moment is the later of the newest `now` and the newest event seen. An
event older than that by more than `MAX_LATENESS` is refused (exactly 30 days behind is
still taken). Event ids are remembered only as long as an event of their age could still
be taken, so the memory is bounded by the lateness horizon, not by history.
"""

from __future__ import annotations

import heapq
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Self

from pulse.alerts.rules.snapshots import Snapshot, from_micros, to_micros

MAX_LATENESS = timedelta(days=30)


class Outcome(StrEnum):
    """What a rule state did with an event."""

    TAKEN = "taken"
    DUPLICATE = "duplicate"
    TOO_LATE = "too_late"
    NOT_WATCHED = "not_watched"


class Intake:
    """The clock and the duplicate and lateness guard of one rule state."""

    def __init__(self, started_at: datetime) -> None:
        self.clock = started_at
        self.latest = started_at
        self._seen: dict[str, datetime] = {}
        self._seen_by_age: list[tuple[datetime, str]] = []

    def advance(self, now: datetime) -> None:
        """Move the clock to `now`; time may stand still but not go back."""
        if now < self.clock:
            raise ValueError(f"now {now.isoformat()} is before {self.clock.isoformat()}")
        self.clock = now
        self._move_latest(now)

    def admit(self, event_id: str, occurred_at: datetime, *, remember: bool = True) -> Outcome:
        """Whether an event is new and recent enough; remembers it when it is.

        With `remember=False` a replay is taken again: for states a replay cannot change
        (the last moment of a silence), which then keep no ids at all.
        """
        if event_id in self._seen:
            return Outcome.DUPLICATE
        if occurred_at < self.latest - MAX_LATENESS:
            return Outcome.TOO_LATE
        if not remember:
            self._move_latest(occurred_at)
            return Outcome.TAKEN
        self._seen[event_id] = occurred_at
        heapq.heappush(self._seen_by_age, (occurred_at, event_id))
        self._move_latest(occurred_at)
        return Outcome.TAKEN

    def snapshot(self) -> Snapshot:
        """The clock and the remembered ids, in heap order (read back as the same heap)."""
        return {
            "clock": to_micros(self.clock),
            "latest": to_micros(self.latest),
            "seen": [[event_id, to_micros(at)] for at, event_id in self._seen_by_age],
        }

    @classmethod
    def restore(cls, snapshot: Snapshot) -> Self:
        """The intake `snapshot` was taken of."""
        intake = cls(from_micros(snapshot["clock"]))
        intake.latest = from_micros(snapshot["latest"])
        for event_id, micros in snapshot["seen"]:
            at = from_micros(micros)
            intake._seen[event_id] = at
            intake._seen_by_age.append((at, event_id))  # in heap order: the same heap
        return intake

    def remembered(self) -> int:
        """How many event ids are kept (bounded by the lateness horizon)."""
        return len(self._seen)

    def _move_latest(self, moment: datetime) -> None:
        if moment <= self.latest:
            return
        self.latest = moment
        horizon = moment - MAX_LATENESS
        # An event older than the horizon is refused as too late anyway, so its id need
        # not be remembered to refuse it as a duplicate.
        while self._seen_by_age and self._seen_by_age[0][0] < horizon:
            _, event_id = heapq.heappop(self._seen_by_age)
            del self._seen[event_id]
