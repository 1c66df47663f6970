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

from pulse.health.scoring.bands import Band
from pulse.health.scoring.days import day_of
from pulse.health.scoring.facts import AccountFacts
from pulse.health.scoring.measured import Measured, measure_all
from pulse.health.scoring.model import ScoringModel

#: The score of an account no measure says anything about: no evidence either way.
NO_EVIDENCE_SCORE = 50.0


# Not frozen: a frozen __init__ is 3x slower, on a hot path. No slots: orjson writes a
# dataclass with a __dict__ 4x faster (every score row carries its components as JSON).
@dataclass
class Component:
    """One measure's part in a score: its raw value (None: missing), its score 0-100 (None:
    dropped), its share of the total weight, and the points it contributes (weight * score)."""

    measure: str
    group: str
    value: float | None
    score: float | None
    weight: float
    contribution: float
    #: Why `value` is None: `no_value` (nothing to compute it from in its window; the
    #: measure's `missing` policy applies) or `never_sent` (the account never sent an event
    #: of a type the measure reads, so it is absent). None when there is a value.
    missing: str | None = None


@dataclass  # as Component
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
    measured: Sequence[Measured] | None = None,
) -> AccountScore:
    """Score an account as of a moment (event time; no clock is read).

    `measured`: every measure's value and score on the day of `as_of`, when the caller
    has them (see `measured.MeasureResults`).
    """
    segment = state.segment_for(
        model.segmentation.high_touch_min_arr, model.segmentation.low_touch_min_arr
    )
    if measured is None:
        measured = measure_all(model, state, day_of(as_of))
    present = 0
    for position, (_, _, score, _, _) in enumerate(measured):
        if score is not None:
            present |= 1 << position
    shares = _shares(model, segment, present)
    components: list[Component] = []
    total = 0.0
    for (measure, value, score, shown_score, missing), (share, shown_share) in zip(
        measured, shares, strict=True
    ):
        if score is None:
            contribution = 0.0
        else:
            contribution = share * score
            total += contribution
        components.append(
            Component(
                measure.name, measure.group, value, shown_score, shown_share,
                round(contribution, 3), missing,
            )
        )  # fmt: skip
    weighed = any(share for share, _ in shares)
    final = round(total if weighed else NO_EVIDENCE_SCORE, 1)
    return AccountScore(final, model.bands.band(final), segment, model.version, components)


#: Presence patterns whose shares are remembered per model (there are few in practice).
_MAX_PATTERNS = 4096


def _shares(model: ScoringModel, segment: str, present: int) -> list[tuple[float, float]]:
    """Each measure's share of the total weight, and that share rounded, when the measures
    of the bits of `present` have a score; all 0 when those weigh nothing."""
    known: dict[tuple[str, int], list[tuple[float, float]]] = model.derived("shares")
    shares = known.get((segment, present))
    if shares is None:
        if len(known) >= _MAX_PATTERNS:
            known.clear()
        shares = known[segment, present] = _work_out_shares(model, segment, present)
    return shares


def _work_out_shares(model: ScoringModel, segment: str, present: int) -> list[tuple[float, float]]:
    scored = [present >> i & 1 for i in range(len(model.measures))]
    per_group: dict[str, int] = {}
    for measure, is_scored in zip(model.measures, scored, strict=True):
        if is_scored:
            per_group[measure.group] = per_group.get(measure.group, 0) + 1
    group_weights = model.group_weights(segment)
    raw = [
        group_weights[m.group] / per_group[m.group] if is_scored else 0.0
        for m, is_scored in zip(model.measures, scored, strict=True)
    ]
    total_weight = sum(raw)
    shares = [weight / total_weight if total_weight > 0 else 0.0 for weight in raw]
    return [(share, round(share, 4)) for share in shares]


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
    # Sorting tuples runs in C: much quicker than a key function for a score's components.
    # (Measure names are unique in a model: components themselves are never compared.)
    moves = sorted(
        (-abs(c.contribution), c.measure, c) for c in current if abs(c.contribution) >= 5e-4
    )
    return [
        Driver(c.measure, c.group, round(c.contribution, 3), None, c.value, horizon)
        for _, _, c in moves[:top]
    ]
