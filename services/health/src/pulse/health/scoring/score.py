"""An account's health score: a weighted average of measure scores, explained.

Each measure present gets its group's weight (for the account's segment) split equally
among the group's measures present; the weights are then normalised to sum to 1, so a
measure dropped for missing data hands its share to the others (renormalisation). A
missing value under `neutral` or `penalise` scores a fixed score and keeps its weight.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pulse.health.scoring.days import day_of
from pulse.health.scoring.evaluate import measure_value
from pulse.health.scoring.facts import AccountFacts
from pulse.health.scoring.model import Measure, ScoringModel
from pulse.health.scoring.reading import Reading, readings

#: The score of an account no measure says anything about: no evidence either way.
NO_EVIDENCE_SCORE = 50.0
Band = Literal["green", "yellow", "red"]


@dataclass(slots=True)  # not frozen: a frozen __init__ is 3x slower, on a hot path
class Component:
    """One measure's part in a score: its raw value (None: missing), its score 0-100 (None:
    dropped), its share of the total weight, and the points it contributes (weight * score)."""

    measure: str
    group: str
    value: float | None
    score: float | None
    weight: float
    contribution: float


@dataclass(slots=True)  # not frozen: a frozen __init__ is 3x slower, on a hot path
class Driver:
    """How much a measure's contribution moved over a horizon (e.g. "7d"), with its values."""

    measure: str
    group: str
    contribution_delta: float
    value_before: float | None
    value_now: float | None
    horizon: str = ""


@dataclass(frozen=True, slots=True)
class AccountScore:
    """A score 0-100 (one decimal), its band and segment, and the components that sum to it."""

    score: float
    band: Band
    segment: str
    model_version: str
    components: list[Component]


def score_account(
    model: ScoringModel,
    state: AccountFacts,
    as_of: datetime,
    read: Sequence[Reading] | None = None,
) -> AccountScore:
    """Score an account as of a moment (event time; no clock is read).

    `read`: the account's `readings` for the day of `as_of`, when the caller has them.
    """
    segment = state.segment_for(
        model.segmentation.high_touch_min_arr, model.segmentation.low_touch_min_arr
    )
    if read is None:
        read = readings(model, state, day_of(as_of))
    measured = [_measure(reading) for reading in read]
    present: dict[str, int] = {}
    for measure, _, score in measured:
        if score is not None:
            present[measure.group] = present.get(measure.group, 0) + 1
    group_weights = model.group_weights(segment)
    raw = [
        group_weights[m.group] / present[m.group] if score is not None else 0.0
        for m, _, score in measured
    ]
    total_weight = sum(raw)
    components: list[Component] = []
    total = 0.0
    for (measure, value, score), weight in zip(measured, raw, strict=True):
        share = weight / total_weight if total_weight > 0 else 0.0
        if score is None:
            contribution = 0.0
            rounded_score = None
        else:
            contribution = share * score
            rounded_score = round(score, 2)
        total += contribution
        components.append(
            Component(
                measure.name, measure.group, None if value is None else round(value, 4),
                rounded_score, round(share, 4), round(contribution, 3),
            )
        )  # fmt: skip
    final = round(total if total_weight > 0 else NO_EVIDENCE_SCORE, 1)
    return AccountScore(final, model.bands.band(final), segment, model.version, components)


def _measure(reading: Reading) -> tuple[Measure, float | None, float | None]:
    measure = reading.measure
    value = measure_value(reading)
    score = measure.scoring.score(value) if value is not None else measure.missing_score()
    return measure, value, score


def drivers(
    current: Sequence[Component],
    past: Sequence[Component] | None,
    horizon: str,
    top: int | None = None,
) -> list[Driver]:
    """Measures whose contribution moved since `past`, largest move first (with no past, the
    contributions themselves); the `top` largest only when given. Measures that did not
    move are left out."""
    if not past:
        return _largest_contributions(current, horizon, top)
    before = {c.measure: c for c in past}
    now = {c.measure: c for c in current}
    moves: list[tuple[float, str]] = []
    for name in [*now, *(m for m in before if m not in now)]:
        was, is_ = before.get(name), now.get(name)
        delta = (is_.contribution if is_ else 0.0) - (was.contribution if was else 0.0)
        if abs(delta) >= 5e-4:
            moves.append((delta, name))
    order = lambda move: (-abs(move[0]), move[1])  # noqa: E731
    # Most callers want a few: pick them without sorting (or describing) every move.
    largest = sorted(moves, key=order) if top is None else heapq.nsmallest(top, moves, order)
    found: list[Driver] = []
    for delta, name in largest:
        was, is_ = before.get(name), now.get(name)
        group = is_.group if is_ is not None and is_.group else (was.group if was else "")
        found.append(
            Driver(
                name, group, round(delta, 3), was.value if was else None,
                is_.value if is_ else None, horizon,
            )
        )  # fmt: skip
    return found


def _largest_contributions(
    current: Sequence[Component], horizon: str, top: int | None
) -> list[Driver]:
    """`drivers` with no past: each contribution is its own move (every score event
    carries these, so they skip the matching of measures)."""
    moves = [c for c in current if abs(c.contribution) >= 5e-4]
    order = lambda c: (-abs(c.contribution), c.measure)  # noqa: E731
    largest = sorted(moves, key=order) if top is None else heapq.nsmallest(top, moves, order)
    return [
        Driver(c.measure, c.group, round(c.contribution, 3), None, c.value, horizon)
        for c in largest
    ]
