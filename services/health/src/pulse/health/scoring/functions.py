"""Scoring functions: how a measure's value maps to a score from 0 to 100."""

from __future__ import annotations

import math
from bisect import bisect_right
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

Score = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Problems = list[tuple[str, str]]
#: Most steps or points of one scoring function.
MAX_POINTS = 64


class _Function(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Step(_Function):
    """From value `min` upwards (until the next step), the score is `score`."""

    min: Finite
    score: Score


class StepScoring(_Function):
    """Threshold steps sorted by `min`; a value below the first step scores as the first."""

    steps: list[Step] = Field(min_length=1, max_length=MAX_POINTS)

    def score(self, value: float) -> float:
        """The score of the last step whose `min` is at most `value`."""
        i = bisect_right(self._mins, value)
        return self.steps[max(i - 1, 0)].score

    @cached_property
    def _mins(self) -> list[float]:
        return [step.min for step in self.steps]

    def points(self) -> list[tuple[str, float]]:
        """Each value the function is defined at, with its path below `scoring`."""
        return [(f".steps[{i}].min", step.min) for i, step in enumerate(self.steps)]

    def problems(self) -> Problems:
        """Steps out of order, as (path below `scoring`, message)."""
        return [
            (
                f".steps[{i}].min",
                f"{step.min:g} is not above the previous step's min {before.min:g}; "
                "sort steps by min, ascending",
            )
            for i, (before, step) in enumerate(zip(self.steps, self.steps[1:], strict=False), 1)
            if step.min <= before.min
        ]


class LinearScoring(_Function):
    """Points `[value, score]` sorted by value, joined by straight lines, flat beyond the ends."""

    linear: list[tuple[Finite, Score]] = Field(min_length=2, max_length=MAX_POINTS)

    def score(self, value: float) -> float:
        """The interpolated score; the first or last point's score outside their range."""
        i = bisect_right(self._values, value)
        if i == 0:
            return self.linear[0][1]
        if i == len(self.linear):
            return self.linear[-1][1]
        (v0, s0), (v1, s1) = self.linear[i - 1], self.linear[i]
        return s0 + (s1 - s0) * (value - v0) / (v1 - v0)

    @cached_property
    def _values(self) -> list[float]:
        return [v for v, _ in self.linear]

    def points(self) -> list[tuple[str, float]]:
        """Each value the function is defined at, with its path below `scoring`."""
        return [(f".linear[{i}][0]", value) for i, (value, _) in enumerate(self.linear)]

    def problems(self) -> Problems:
        """Points out of order, as (path below `scoring`, message)."""
        return [
            (
                f".linear[{i}][0]",
                f"{point[0]:g} is not above the previous point's value {before[0]:g}; "
                "sort points by value, ascending",
            )
            for i, (before, point) in enumerate(zip(self.linear, self.linear[1:], strict=False), 1)
            if point[0] <= before[0]
        ]


class LogScoring(_Function):
    """Points `[value, score]` (values above 0) sorted by value, joined by straight lines on a
    logarithmic value axis, flat beyond the ends: each doubling of the value moves the score
    by as much, anywhere between two points. Usage quantities spread over orders of
    magnitude (5 or 500 seats, 10 or 10,000 events a month), so equal ratios, not equal
    differences, are what a curve over them should reward."""

    log: list[tuple[Finite, Score]] = Field(min_length=2, max_length=MAX_POINTS)

    def score(self, value: float) -> float:
        """The interpolated score; the first or last point's score outside their range."""
        points = self.log
        if value <= points[0][0]:
            return points[0][1]
        i = bisect_right(self._values, value)
        if i == len(points):
            return points[-1][1]
        (v0, s0), (v1, s1) = points[i - 1], points[i]
        return s0 + (s1 - s0) * math.log(value / v0) / math.log(v1 / v0)

    @cached_property
    def _values(self) -> list[float]:
        return [v for v, _ in self.log]

    def points(self) -> list[tuple[str, float]]:
        """Each value the function is defined at, with its path below `scoring`."""
        return [(f".log[{i}][0]", value) for i, (value, _) in enumerate(self.log)]

    def problems(self) -> Problems:
        """Points at or below 0 (no logarithm) or out of order, as (path, message)."""
        problems: Problems = [
            (f".log[{i}][0]", f"{value:g} has no logarithm; log points need values above 0")
            for i, (value, _) in enumerate(self.log)
            if value <= 0
        ]
        return problems + [
            (
                f".log[{i}][0]",
                f"{point[0]:g} is not above the previous point's value {before[0]:g}; "
                "sort points by value, ascending",
            )
            for i, (before, point) in enumerate(zip(self.log, self.log[1:], strict=False), 1)
            if point[0] <= before[0]
        ]


FunctionKind = Literal["steps", "linear", "log"]
_KINDS: tuple[FunctionKind, ...] = ("steps", "linear", "log")


def _function_tag(value: Any) -> FunctionKind | None:
    if isinstance(value, dict):
        return next((kind for kind in _KINDS if kind in value), None)
    if isinstance(value, StepScoring):
        return "steps"
    return "linear" if isinstance(value, LinearScoring) else "log"


ScoringFunction = Annotated[
    Annotated[StepScoring, Tag("steps")]
    | Annotated[LinearScoring, Tag("linear")]
    | Annotated[LogScoring, Tag("log")],
    Discriminator(
        _function_tag,
        custom_error_type="scoring_function",
        custom_error_message=(
            "expected {steps: [{min, score}, ...]}, {linear: [[value, score], ...]} "
            "or {log: [[value, score], ...]}"
        ),
    ),
]
