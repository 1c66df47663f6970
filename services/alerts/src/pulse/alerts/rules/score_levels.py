"""Band and score_below rules: the condition holds while the latest score passes a test.

The latest score is the newest point at or before `now` (see `score_feed`). The condition
begins at the point that first passed the test after one that did not (or after none), so
a reason can say since when, and from which band: "health band red since 13 Nov (score
38, was yellow)". It ends at the first point that fails.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Self

from pulse.alerts.rules.definitions import LevelRule
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


class ScoreLevelState:
    """The latest score of one (band or score_below rule, account) and since when it holds."""

    def __init__(self, rule: LevelRule, started_at: datetime) -> None:
        self.rule = rule
        self._feed = ScoreFeed(started_at)
        #: The point the condition began at, and the one before it; None when not holding.
        self._began: ScorePoint | None = None
        self._before: ScorePoint | None = None

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
        """Whether the latest score passes the rule's test at `now`.

        `evidence` is the point the condition began at and the latest point (one when they
        are the same; the latest alone when not holding), `count` how many points that is,
        `total` the latest score, `band` the latest band and `previous_band` the band before
        the condition began (None when it began at the first score)."""
        self._advance(now)
        latest = self._feed.current
        shown = list(dict.fromkeys(p for p in (self._began, latest) if p is not None))
        return Verdict(
            holds=self._began is not None,
            at=now,
            count=len(shown),
            total=exact_score(latest.score) if latest else Fraction(0),
            evidence=tuple(point_evidence(p) for p in shown),
            next_change=self._feed.next_arrival(),
            band=latest.band if latest else None,
            previous_band=self._before.band if self._before else None,
        )

    def snapshot(self) -> Snapshot:
        """What the state holds, as JSON-able values (see `snapshots`)."""
        return {
            "feed": self._feed.snapshot(),
            "began": point_to_json(self._began) if self._began else None,
            "before": point_to_json(self._before) if self._before else None,
        }

    @classmethod
    def restore(cls, rule: LevelRule, snapshot: Snapshot) -> Self:
        """The state `snapshot` was taken of, for the same rule."""
        feed = ScoreFeed.restore(snapshot["feed"])
        state = cls(rule, feed.clock)
        state._feed = feed
        began, before = snapshot["began"], snapshot["before"]
        state._began = point_from_json(began) if began else None
        state._before = point_from_json(before) if before else None
        return state

    def _advance(self, now: datetime) -> None:
        previous = self._feed.current
        for point in self._feed.advance(now):
            if not self.rule.holds_for(point):
                self._began = self._before = None
            elif self._began is None:
                self._began, self._before = point, previous
            previous = point
