"""Fitting the model's group weights to outcomes, and scoring stored components with them.

Why group weights: a model file weights groups, and a group's weight is shared equally
by its measures present (health's scoring README), so a group weight is what a model
version can carry. A group's score is the mean of its present measures' scores, exactly
how the model combines them; the account's score is the weighted mean of its present
groups (a group with no measure present hands its weight to the others).

The fit is an L2-regularised logistic regression of churn on the group scores
(standardised; a group absent for an account takes its training mean). A healthier
group should mean less churn, so a group's weight is its negative coefficient, back on
the 0-100 scale, floored at 0 (a group whose higher score goes with more churn gets no
weight), and the weights are normalised to sum to 1.

Cross-validated by time: outcomes sorted by date; the latest `held_out_share` are held
out; the regularisation strength is chosen by forward-chaining folds over the earlier
ones (fit on the earliest, test on the next), then fitted on all of them; old and new
are compared on the held-out period only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import TimeSeriesSplit

from pulse.devtools.model_check.observations import Observation
from pulse.devtools.model_check.ranking import Interval, auc, auc_interval
from pulse.devtools.model_check.sufficiency import Sufficiency, sufficiency_of

#: Inverse regularisation strengths tried (sklearn's C: smaller is stronger).
STRENGTHS = (0.01, 0.1, 1.0, 10.0)
HELD_OUT_SHARE = 0.3
FOLDS = 3


class TooFewOutcomes(ValueError):
    """Not enough outcomes to fit or to compare."""


@dataclass(frozen=True, slots=True)
class Calibration:
    """Old and new group weights and how each ranks the held-out period."""

    old_weights: dict[str, float]
    new_weights: dict[str, float]
    strength: float
    trained_on: int
    held_out: int
    held_out_from: datetime
    held_out_sufficiency: Sufficiency
    old_auc: Interval
    new_auc: Interval


def group_scores(observation: Observation, groups: Sequence[str]) -> list[float | None]:
    """Each group's score: the mean of its present measures' scores, None if none."""
    found: dict[str, list[float]] = {}
    for component in observation.components:
        if component.score is not None:
            found.setdefault(component.group, []).append(component.score)
    return [sum(found[g]) / len(found[g]) if g in found else None for g in groups]


def score_with(weights: dict[str, float], observation: Observation) -> float | None:
    """The score the model with these group weights gives the stored components."""
    groups = list(weights)
    total = weighted = 0.0
    for group, score in zip(groups, group_scores(observation, groups), strict=True):
        if score is not None:
            total += weights[group]
            weighted += weights[group] * score
    return weighted / total if total > 0 else None


def fit_weights(
    train: Sequence[Observation], groups: Sequence[str], strength: float
) -> dict[str, float] | None:
    """Group weights fitted to `train`; None when no group's score lowers churn."""
    matrix = _design(train, groups)
    labels = np.asarray([o.churned for o in train], dtype=bool)
    mean, spread = matrix.mean(axis=0), matrix.std(axis=0)
    spread[spread == 0] = 1.0
    regression = LogisticRegression(C=strength, max_iter=1000)
    regression.fit((matrix - mean) / spread, labels)
    raw = -regression.coef_[0] / spread
    floored = np.clip(raw, 0, None)
    if floored.sum() <= 0:
        return None
    return {g: float(w / floored.sum()) for g, w in zip(groups, floored, strict=True)}


def calibrate(
    observations: Sequence[Observation],
    old_weights: dict[str, float],
    *,
    seed: int = 0,
    held_out_share: float = HELD_OUT_SHARE,
) -> Calibration:
    """Fit on the earlier outcomes, compare old and new on the later ones."""
    scored = sorted(
        (o for o in observations if o.score is not None),
        key=lambda o: (o.outcome.at, o.outcome.account_id),
    )
    cut = len(scored) - round(len(scored) * held_out_share)
    train, test = scored[:cut], scored[cut:]
    for name, part in (("earlier (training)", train), ("held-out", test)):
        verdict = sufficiency_of([o.churned for o in part]).verdict
        if verdict is not None:
            raise TooFewOutcomes(f"{name} period: {verdict}")
    groups = list(old_weights)
    strength = _best_strength(train, groups)
    new_weights = fit_weights(train, groups, strength)
    if new_weights is None:
        raise TooFewOutcomes("no group's score lowers churn in the training period")
    labels = [o.churned for o in test]
    return Calibration(
        old_weights=dict(old_weights),
        new_weights=new_weights,
        strength=strength,
        trained_on=len(train),
        held_out=len(test),
        held_out_from=test[0].outcome.at,
        held_out_sufficiency=sufficiency_of(labels),
        old_auc=auc_interval([100 - (o.score or 0.0) for o in test], labels, seed=seed),
        new_auc=auc_interval(_risks(new_weights, test), labels, seed=seed),
    )


def _best_strength(train: Sequence[Observation], groups: Sequence[str]) -> float:
    """The strength whose weights rank the forward-chained validation folds best."""
    best, best_auc = STRENGTHS[0], -1.0
    for strength in STRENGTHS:
        found = []
        for fit_rows, check_rows in TimeSeriesSplit(n_splits=FOLDS).split(np.arange(len(train))):
            fit_part = [train[i] for i in fit_rows]
            check = [train[i] for i in check_rows]
            labels = [o.churned for o in check]
            if all(labels) or not any(labels) or len({o.churned for o in fit_part}) < 2:
                continue
            weights = fit_weights(fit_part, groups, strength)
            if weights is not None:
                found.append(auc(_risks(weights, check), labels))
        mean = float(np.mean(found)) if found else -1.0
        if mean > best_auc:
            best, best_auc = strength, mean
    return best


def _risks(weights: dict[str, float], observations: Sequence[Observation]) -> list[float]:
    # An account with no group present scores like health's "no evidence" (50).
    return [100 - (score_with(weights, o) or 50.0) for o in observations]


def _design(observations: Sequence[Observation], groups: Sequence[str]) -> NDArray[np.float64]:
    rows = [group_scores(o, groups) for o in observations]
    matrix = np.asarray(
        [[np.nan if v is None else v for v in row] for row in rows], dtype=np.float64
    )
    means = np.nanmean(np.where(np.isnan(matrix).all(axis=0), 50.0, matrix), axis=0)
    return np.where(np.isnan(matrix), means, matrix)
