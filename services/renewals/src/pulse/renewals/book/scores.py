"""`ScoreHistory`: an account's recent health scores, enough for the forecast's trend.

The trend is the score change over `TREND_DAYS`: the latest score less the one in force
`TREND_DAYS` before it; while the history is shorter, less the oldest score kept; unknown
(None) with a single score. Scores apply in (computed_at, id) order, a known id changes
nothing.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from pulse.renewals.forecast.config import Band

#: The window the score change is measured over (health's trend window).
TREND_DAYS = 30


@dataclass(frozen=True, slots=True, order=True)
class ScorePoint:
    """One score health computed."""

    computed_at: datetime
    message_id: str
    score: float
    band: Band


class ScoreHistory:
    """The scores of the last `TREND_DAYS` and the one in force at the window's start."""

    def __init__(self) -> None:
        self.points: list[ScorePoint] = []

    def apply(self, point: ScorePoint) -> bool:
        """Take a score at its time; False for a known id."""
        if any(p.message_id == point.message_id for p in self.points):
            return False
        insort(self.points, point)
        self._forget_old()
        return True

    @property
    def latest(self) -> ScorePoint | None:
        """The newest score."""
        return self.points[-1] if self.points else None

    @property
    def band(self) -> Band:
        """The band of the newest score; unscored before the first."""
        return self.points[-1].band if self.points else Band.UNSCORED

    @property
    def change(self) -> Decimal | None:
        """Points gained (negative: lost) over the trend window; None when unknown."""
        if len(self.points) < 2:
            return None
        latest = self.points[-1]
        start = latest.computed_at - timedelta(days=TREND_DAYS)
        index = bisect_right([p.computed_at for p in self.points], start)
        base = self.points[index - 1] if index else self.points[0]
        return Decimal(str(latest.score)) - Decimal(str(base.score))

    def _forget_old(self) -> None:
        start = self.points[-1].computed_at - timedelta(days=TREND_DAYS)
        index = bisect_right([p.computed_at for p in self.points], start)
        if index > 1:
            del self.points[: index - 1]
