"""Churn rates of groups of accounts: per band, per score decile, and what the red band
and the lowest decile catch.

Deciles split the scored accounts, sorted by score (then account id, so ties split the
same way every time), into ten groups whose sizes differ by at most one; decile 1 holds
the lowest scores. Lift of the lowest decile = its churn rate / the overall churn rate:
2 means the lowest tenth churns twice as often as the average account.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pulse.devtools.model_check.observations import Observation

BANDS = ("green", "yellow", "red", "unscored")
DECILES = 10


@dataclass(frozen=True, slots=True)
class GroupRate:
    """Accounts in a group and how many of them churned."""

    name: str
    accounts: int
    churned: int
    #: Lowest and highest score in the group (None for unscored accounts).
    low: float | None = None
    high: float | None = None

    @property
    def rate(self) -> float | None:
        """Share that churned; None for an empty group."""
        return self.churned / self.accounts if self.accounts else None


@dataclass(frozen=True, slots=True)
class RedBand:
    """The red band as a churn alarm: precision = red accounts that churned / red
    accounts; recall = churners that were red / churners."""

    precision: float | None
    recall: float | None


def band_rates(observations: Sequence[Observation]) -> list[GroupRate]:
    """Churn rate per band (`unscored`: no score yet at the horizon)."""
    rates = []
    for band in BANDS:
        members = [o for o in observations if (o.band or "unscored") == band]
        rates.append(GroupRate(band, len(members), sum(o.churned for o in members)))
    return rates


def decile_rates(observations: Sequence[Observation]) -> list[GroupRate]:
    """Churn rate per score decile of the scored accounts, lowest scores first."""
    scored = sorted(
        (o for o in observations if o.score is not None),
        key=lambda o: (o.score, o.outcome.account_id),
    )
    rates = []
    for decile in range(DECILES):
        members = scored[len(scored) * decile // DECILES : len(scored) * (decile + 1) // DECILES]
        scores = [o.score for o in members if o.score is not None]
        rates.append(
            GroupRate(
                f"D{decile + 1}",
                len(members),
                sum(o.churned for o in members),
                min(scores) if scores else None,
                max(scores) if scores else None,
            )
        )
    return rates


def lowest_decile_lift(observations: Sequence[Observation]) -> float | None:
    """Churn rate of the lowest-score decile over the scored accounts' churn rate."""
    scored = [o for o in observations if o.score is not None]
    overall = sum(o.churned for o in scored) / len(scored) if scored else 0.0
    lowest = decile_rates(observations)[0].rate
    if lowest is None or overall == 0:
        return None
    return lowest / overall


def red_band(observations: Sequence[Observation]) -> RedBand:
    """Precision and recall of "red" as a prediction of churn."""
    red = [o for o in observations if o.band == "red"]
    churners = [o for o in observations if o.churned]
    red_churned = sum(o.churned for o in red)
    return RedBand(
        red_churned / len(red) if red else None,
        red_churned / len(churners) if churners else None,
    )
