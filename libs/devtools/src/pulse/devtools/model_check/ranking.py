"""How well a risk figure ranks churners above kept accounts: the AUC and its interval.

AUC is the Mann-Whitney statistic: the share of (churned, kept) pairs whose churner has
the higher risk, a tie counting one half. Computed from mid-ranks, O(n log n): with
R the sum of the churners' ranks among all, AUC = (R - n1 (n1 + 1) / 2) / (n1 n0).
0.5 is a coin, 1.0 a perfect ranking. The interval is a percentile bootstrap: outcomes
resampled with replacement (a seeded generator, so the same data give the same
interval), resamples lacking churners or kept accounts skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

BOOTSTRAP_RESAMPLES = 1000


@dataclass(frozen=True, slots=True)
class Interval:
    """A figure with its bootstrap interval."""

    value: float
    low: float
    high: float


def auc(
    risk: Sequence[float] | NDArray[np.float64], churned: Sequence[bool] | NDArray[np.bool_]
) -> float:
    """AUC of `risk` for `churned` (higher risk should mean churn); needs both kinds."""
    risks = np.asarray(risk, dtype=np.float64)
    labels = np.asarray(churned, dtype=bool)
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        raise ValueError("AUC needs at least one churned and one kept account")
    ranks = _mid_ranks(risks)
    rank_sum = float(ranks[labels].sum())
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def auc_interval(
    risk: Sequence[float] | NDArray[np.float64],
    churned: Sequence[bool] | NDArray[np.bool_],
    *,
    seed: int,
    resamples: int = BOOTSTRAP_RESAMPLES,
    level: float = 0.95,
) -> Interval:
    """AUC with its percentile bootstrap interval at `level`."""
    risks = np.asarray(risk, dtype=np.float64)
    labels = np.asarray(churned, dtype=bool)
    generator = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        pick = generator.integers(0, len(labels), len(labels))
        sample = labels[pick]
        if sample.all() or not sample.any():
            continue
        values.append(auc(risks[pick], sample))
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return Interval(auc(risks, labels), float(low), float(high))


def _mid_ranks(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Ranks 1..n, tied values sharing the mean of the ranks they span."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    mid = ends - (counts - 1) / 2
    result: NDArray[np.float64] = mid[inverse].astype(np.float64)
    return result
