"""The score points of one (rule, account) in their order, and the clock they are read at.

Health sends an account's points in order and a replay repeats them, so a point at or
before the latest one taken is a duplicate: no ids need remembering. A point is the
account's score from its moment `at` on: one stamped after `now` waits until `now`
reaches it, as events stamped ahead do in windows. `now` may stand still but never go back.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime
from typing import Self

from pulse.alerts.rules.intake import Outcome
from pulse.alerts.rules.score_points import ScorePoint, point_from_json, point_to_json
from pulse.alerts.rules.snapshots import Snapshot, from_micros, to_micros


class ScoreFeed:
    """The current point (the latest at or before the clock) and the points ahead of it."""

    def __init__(self, started_at: datetime) -> None:
        self.clock = started_at
        self.current: ScorePoint | None = None
        self.ahead: deque[ScorePoint] = deque()

    def advance(self, now: datetime) -> list[ScorePoint]:
        """Move the clock to `now`; the points that became current on the way, in order."""
        if now < self.clock:
            raise ValueError(f"now {now.isoformat()} is before {self.clock.isoformat()}")
        self.clock = now
        arrived = []
        while self.ahead and self.ahead[0].at <= now:
            arrived.append(self.ahead.popleft())
        if arrived:
            self.current = arrived[-1]
        return arrived

    def admit(self, point: ScorePoint) -> Outcome:
        """Queue a point newer than every point taken; call `advance` to let it arrive."""
        latest = self.ahead[-1] if self.ahead else self.current
        if latest is not None and point.at <= latest.at:
            return Outcome.DUPLICATE
        self.ahead.append(point)
        return Outcome.TAKEN

    def next_arrival(self) -> datetime | None:
        """When the first point stamped ahead of the clock becomes current."""
        return self.ahead[0].at if self.ahead else None

    def snapshot(self) -> Snapshot:
        """The clock, the current point and those ahead."""
        return {
            "clock": to_micros(self.clock),
            "current": point_to_json(self.current) if self.current else None,
            "ahead": [point_to_json(point) for point in self.ahead],
        }

    @classmethod
    def restore(cls, snapshot: Snapshot) -> Self:
        """The feed `snapshot` was taken of."""
        feed = cls(from_micros(snapshot["clock"]))
        current = snapshot["current"]
        feed.current = point_from_json(current) if current else None
        feed.ahead = deque(point_from_json(point) for point in snapshot["ahead"])
        return feed
