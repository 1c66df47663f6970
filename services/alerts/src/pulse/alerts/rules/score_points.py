"""Health scores as the alert rules see them: one point per score change of an account.

Health publishes a message on `pulse.health.scores` when an account's score changes; the
service decodes each into a `ScorePoint`. Scores carry one decimal; `exact_score` turns a
score into the decimal it was written as, so differences such as `60.1 - 40.1` are exactly
20 (as floats they are not).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal, get_args

from pulse.alerts.rules.snapshots import from_micros, to_micros
from pulse.alerts.rules.verdict import Evidence

Band = Literal["green", "yellow", "red"]
#: Best first.
BANDS: tuple[Band, ...] = get_args(Band)


@dataclass(frozen=True, slots=True)
class ScorePoint:
    """An account's health score from `at` (the message's `computed_at`) on."""

    message_id: str
    at: datetime
    score: float
    band: str  # "green" | "yellow" | "red"


def exact_score(score: float) -> Fraction:
    """The score as the decimal health wrote (`38.1` is 381/10, not the nearest float)."""
    return Fraction(Decimal(repr(score)))


def point_evidence(point: ScorePoint) -> Evidence:
    """The point as evidence of a verdict: its message id, moment and exact score."""
    return Evidence(point.message_id, point.at, exact_score(point.score))


def point_to_json(point: ScorePoint) -> list[Any]:
    """A point as `[message_id, micros, score, band]`."""
    return [point.message_id, to_micros(point.at), point.score, point.band]


def point_from_json(value: list[Any]) -> ScorePoint:
    """The point `point_to_json` gave `value` for."""
    return ScorePoint(value[0], from_micros(value[1]), float(value[2]), value[3])
