"""Which measures carry signal: each measure's own AUC for churn, and how measures move
together.

A measure's AUC is that of (100 - its score) over the accounts where it had a score (a
dropped measure says nothing). Near 0.5 it ranks no better than a coin; below 0.5 it
ranks backwards (a higher score goes with more churn). The correlation is Pearson's
between two measures' scores over the accounts that have both; two measures correlated
near 1 say the same thing twice. None where fewer than 3 accounts have both, or a
measure's score never varies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pulse.devtools.model_check.observations import Observation
from pulse.devtools.model_check.ranking import auc
from pulse.devtools.model_check.sufficiency import Sufficiency, sufficiency_of


@dataclass(frozen=True, slots=True)
class MeasureSignal:
    """A measure's AUC over the accounts where it had a score (None: too few outcomes)."""

    measure: str
    group: str
    accounts: int
    auc: float | None
    sufficiency: Sufficiency


def measure_names(observations: Sequence[Observation]) -> list[tuple[str, str]]:
    """(measure, group) of every measure seen, in first-seen order."""
    seen: dict[str, str] = {}
    for observation in observations:
        for component in observation.components:
            seen.setdefault(component.measure, component.group)
    return list(seen.items())


def measure_signals(observations: Sequence[Observation]) -> list[MeasureSignal]:
    """Each measure's own AUC."""
    signals = []
    for measure, group in measure_names(observations):
        scored = [(o.measure_scores().get(measure), o.churned) for o in observations]
        present = [(score, churned) for score, churned in scored if score is not None]
        enough = sufficiency_of([churned for _, churned in present])
        value = (
            auc([100 - score for score, _ in present], [churned for _, churned in present])
            if enough.enough
            else None
        )
        signals.append(MeasureSignal(measure, group, len(present), value, enough))
    return signals


def correlations(observations: Sequence[Observation]) -> dict[str, dict[str, float | None]]:
    """Pearson correlation of every pair of measures' scores (pairwise complete)."""
    names = [name for name, _ in measure_names(observations)]
    table = [o.measure_scores() for o in observations]
    matrix: dict[str, dict[str, float | None]] = {}
    for first in names:
        matrix[first] = {}
        for second in names:
            pairs = [(row[first], row[second]) for row in table if first in row and second in row]
            matrix[first][second] = _pearson(pairs)
    return matrix


def _pearson(pairs: list[tuple[float, float]]) -> float | None:
    if len(pairs) < 3:
        return None
    values = np.asarray(pairs, dtype=np.float64)
    spread = values.std(axis=0)
    if spread[0] == 0 or spread[1] == 0:
        return None
    return float(np.corrcoef(values[:, 0], values[:, 1])[0, 1])
