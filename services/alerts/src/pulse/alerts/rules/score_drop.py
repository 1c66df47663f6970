"""Score_drop rules: the latest score has fallen `points` below the highest of `within`.

A point at `t` counts at `now` while `t <= now < t + within` (the edge of windows), and
the latest point at or before `now` always counts, however old. Only the points that can
still be the highest are kept: each one pushes out the older ones that score no higher, so
the kept scores fall from oldest to newest and the first is the highest (a monotonic
queue). Memory follows the points inside `within`, not the history. Among equal highest
scores the newest is named: it stays longest.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime
from fractions import Fraction
from typing import Self

from pulse.alerts.rules.definitions import ScoreDropRule
from pulse.alerts.rules.intake import Outcome
from pulse.alerts.rules.score_feed import ScoreFeed
from pulse.alerts.rules.score_points import (
    ScorePoint,
    exact_score,
    point_evidence,
    point_from_json,
    point_to_json,
)
from pulse.alerts.rules.snapshots import Snapshot
from pulse.alerts.rules.verdict import Verdict
from pulse.common.events import Event


class ScoreDropState:
    """The points of one (score_drop rule, account) that may be the highest of `within`."""

    def __init__(self, rule: ScoreDropRule, started_at: datetime) -> None:
        self.rule = rule
        self._points = exact_score(rule.points)
        self._feed = ScoreFeed(started_at)
        self._peaks: deque[ScorePoint] = deque()

    def observe(self, event: Event, now: datetime) -> Outcome:
        """Events do not move scores: every one is not watched."""
        self._advance(now)
        return Outcome.NOT_WATCHED

    def observe_score(self, point: ScorePoint, now: datetime) -> Outcome:
        """Take a score point seen at `now`; one at or before the latest taken is a duplicate."""
        self._advance(now)
        outcome = self._feed.admit(point)
        self._advance(now)
        return outcome

    def evaluate(self, now: datetime) -> Verdict:
        """Whether the latest score is at least `points` under the highest at `now`.

        `evidence` is the highest point and the latest (one when the latest is the
        highest), oldest first; `count` how many points that is; `total` the fall, the
        highest score minus the latest (0 with no score)."""
        self._advance(now)
        latest = self._feed.current
        if latest is None:
            return Verdict(False, now, 0, Fraction(0), (), self._feed.next_arrival())
        highest = self._peaks[0] if self._peaks else latest
        fall = exact_score(highest.score) - exact_score(latest.score)
        shown = list(dict.fromkeys((highest, latest)))
        edges = [self._feed.next_arrival()]
        if highest != latest:
            edges.append(highest.at + self.rule.within)
        return Verdict(
            holds=fall >= self._points,
            at=now,
            count=len(shown),
            total=fall,
            evidence=tuple(point_evidence(p) for p in shown),
            next_change=min((edge for edge in edges if edge is not None), default=None),
            band=latest.band,
        )

    def snapshot(self) -> Snapshot:
        """What the state holds, as JSON-able values (see `snapshots`)."""
        return {
            "feed": self._feed.snapshot(),
            "peaks": [point_to_json(point) for point in self._peaks],
        }

    @classmethod
    def restore(cls, rule: ScoreDropRule, snapshot: Snapshot) -> Self:
        """The state `snapshot` was taken of, for the same rule."""
        feed = ScoreFeed.restore(snapshot["feed"])
        state = cls(rule, feed.clock)
        state._feed = feed
        state._peaks = deque(point_from_json(point) for point in snapshot["peaks"])
        return state

    def held(self) -> int:
        """How many points the state keeps (peaks inside `within`, and those ahead)."""
        return len(self._peaks) + len(self._feed.ahead)

    def _advance(self, now: datetime) -> None:
        for point in self._feed.advance(now):
            score = exact_score(point.score)
            while self._peaks and exact_score(self._peaks[-1].score) <= score:
                self._peaks.pop()
            self._peaks.append(point)
        while self._peaks and self._peaks[0].at + self.rule.within <= now:
            self._peaks.popleft()
