"""`AccountState`: everything needed to score one account, and when its score can next
change with no new event.

The evidence and how events build it are in `facts` (see `catalog` for what a custom
model can read); this module adds the clock-free schedule the keeper re-scores by.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pulse.health.scoring.days import day_of, midnight
from pulse.health.scoring.evaluate import change_day
from pulse.health.scoring.facts import GRACE_DAYS, AccountFacts
from pulse.health.scoring.measured import MeasureResults
from pulse.health.scoring.model import ScoringModel
from pulse.health.scoring.reading import readings

__all__ = ["GRACE_DAYS", "AccountState"]


class AccountState(AccountFacts):
    """One account's evidence: `apply` events, `prune`, `to_dict`/`from_dict` for storage."""

    __slots__ = ()

    def next_change_at(
        self, model: ScoringModel, as_of: datetime, measured: MeasureResults | None = None
    ) -> datetime | None:
        """The earliest moment after `as_of` the score can change with no new event: a UTC
        midnight when a day leaves a window, an invoice grows more overdue, a latest value or
        the CSM's sentiment goes stale. None when only a new event can change it.

        `measured`: this state's results, measured on the day of `as_of` with `model`.
        """
        today = day_of(as_of)
        if measured is None:
            days = (change_day(reading) for reading in readings(model, self, today))
            first = min((day for day in days if day is not None), default=None)
        else:
            first = measured.next_change_day(self)
        if first is None:
            return None
        return midnight(max(first, today + 1))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AccountState:
        """Rebuild a state from `to_dict()`; ValueError for another format version."""
        state = cls()
        state._load(data)
        return state
