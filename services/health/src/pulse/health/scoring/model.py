"""The scoring model: groups, measures and their weights, read from a YAML file.

`load_model(text)` validates the file and every cross-reference and raises `ModelError`
listing each problem as (path, message), e.g. `measures[3].group: unknown group 'suport';
groups are usage, support, ...`. `default_model()` is the model shipped with Pulse.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cached_property, lru_cache
from importlib import resources
from typing import Annotated, Any, Literal, TypeVar, cast

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from pulse.common.documents import UnreadableDocument, dotted_path, read_yaml
from pulse.health.scoring.aggregations import Aggregation
from pulse.health.scoring.bands import Band
from pulse.health.scoring.checks import measure_problems, value_range_problems
from pulse.health.scoring.functions import Problems, Score, ScoringFunction
from pulse.health.scoring.selectors import EventSelector

T = TypeVar("T")
SEGMENTS = ("high_touch", "low_touch", "tech_touch")
Segment = Literal["high_touch", "low_touch", "tech_touch"]
#: Largest group weight: weights are relative (normalised per account), so 0..1000 leaves
#: room for any ratio a person means, and the sums stay far from overflowing (1e308
#: weights once summed to infinity and scored every account 50).
MAX_WEIGHT = 1_000.0
Weight = Annotated[float, Field(ge=0, le=MAX_WEIGHT, allow_inf_nan=False)]
#: Largest amount a model names: money in events has at most 15 integer digits.
MAX_MONEY = 1e15
Money = Annotated[float, Field(ge=0, le=MAX_MONEY, allow_inf_nan=False)]
#: Most groups and measures in a model (the shipped one has 10 and 22).
MAX_GROUPS = 64
MAX_MEASURES = 256
#: Most values a model's YAML may hold, counting each use of an anchor (`*name`) again:
#: an alias bomb of 1 KiB would otherwise expand to a billion values while validated.
MAX_YAML_VALUES = 100_000
DEFAULT_MODEL_RESOURCE = "default_model.yaml"


class ModelError(Exception):
    """A scoring model that cannot be used; `errors` lists (path, message) per problem."""

    def __init__(self, errors: Problems) -> None:
        super().__init__("; ".join(f"{path or '(top)'}: {message}" for path, message in errors))
        self.errors = errors


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bands(_Part):
    """Scores at or above `green` are green, at or above `yellow` yellow, below red."""

    green: Score = 70.0
    yellow: Score = 40.0

    def band(self, score: float) -> Band:
        """The band of a score."""
        if score >= self.green:
            return "green"
        return "yellow" if score >= self.yellow else "red"


class Segmentation(_Part):
    """ARR thresholds of the segments, for accounts whose segment is not set."""

    high_touch_min_arr: Money = 500_000.0
    low_touch_min_arr: Money = 50_000.0


class Group(_Part):
    """A dimension of health; its weight is shared equally by its measures present."""

    weight: Weight
    description: str = Field("", max_length=4_000)


class Measure(_Part):
    """One signal: the events it reads, how they aggregate, how the value scores."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    group: str
    description: str = Field(min_length=1, max_length=4_000)
    reads: list[EventSelector] = Field([], max_length=32)
    aggregation: Aggregation
    window_days: int | None = None
    scoring: ScoringFunction
    missing: Literal["drop", "neutral", "penalise"] = "drop"
    neutral_score: Score = 50.0
    penalty_score: Score = 0.0
    #: `drop`: while the account has never sent an event of a type the measure reads, the
    #: measure is absent (its weight goes to the others), whatever its value would be: no
    #: tickets from an account whose tickets never reach Pulse is no news, not good news.
    #: `score` (default): the value scores as it is (a count of 0, a missing value...).
    never_sent: Literal["score", "drop"] = "score"

    def missing_score(self) -> float | None:
        """The score a missing value gets; None when the measure is dropped."""
        if self.missing == "neutral":
            return self.neutral_score
        return self.penalty_score if self.missing == "penalise" else None


class ScoringModel(_Part):
    """The whole model; every cross-reference is checked when it is built."""

    version: str = Field(min_length=1, max_length=64)
    description: str = Field("", max_length=4_000)
    bands: Bands = Bands()
    segmentation: Segmentation = Segmentation()
    groups: dict[str, Group] = Field(min_length=1, max_length=MAX_GROUPS)
    segment_weights: dict[Segment, dict[str, Weight]] = {}
    measures: list[Measure] = Field(min_length=1, max_length=MAX_MEASURES)

    @model_validator(mode="after")
    def _consistent(self) -> ScoringModel:
        problems = _model_problems(self)
        if problems:
            raise ModelError(problems)  # not a ValueError: pydantic lets it through as is
        return self

    def group_weight(self, group: str, segment: str) -> float:
        """The weight of a group for accounts of a segment."""
        for key, weights in self.segment_weights.items():
            if key == segment and group in weights:
                return weights[group]
        return self.groups[group].weight

    def group_weights(self, segment: str) -> dict[str, float]:
        """Every group's weight for accounts of a segment."""
        return self._weights_by_segment[segment]

    def derived(self, name: str) -> dict[Any, Any]:
        """A cache of what scoring works out from this model alone (the measures reading
        a series key, the shares of a presence pattern...): one dict per `name`, kept with
        the model, so a model swap leaves nothing stale behind."""
        return self._derived.setdefault(name, {})

    def derived_value(self, name: str, work_out: Callable[[ScoringModel], T]) -> T:
        """`work_out(self)`, worked out once per model and kept with it (see `derived`)."""
        values = self._derived_values
        if name not in values:
            values[name] = work_out(self)
        return cast(T, values[name])

    @cached_property
    def _derived(self) -> dict[str, dict[Any, Any]]:
        return {}

    @cached_property
    def _derived_values(self) -> dict[str, Any]:
        return {}

    @cached_property
    def _weights_by_segment(self) -> dict[str, dict[str, float]]:
        # Scoring reads these for every account: worked out once per model.
        return {
            segment: {group: self.group_weight(group, segment) for group in self.groups}
            for segment in SEGMENTS
        }

    def fingerprint(self) -> str:
        """SHA-256 of the model's canonical JSON: equal models, equal fingerprints."""
        canonical = orjson.dumps(self.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(canonical).hexdigest()


def load_model(text: str) -> ScoringModel:
    """Parse and validate a YAML scoring model; raise `ModelError` with every problem."""
    try:
        data = read_yaml(text, MAX_YAML_VALUES)
    except UnreadableDocument as error:
        raise ModelError([("", str(error))]) from error
    if not isinstance(data, dict):
        got = "nothing" if data is None else type(data).__name__
        raise ModelError([("", f"expected a mapping with version, groups and measures, got {got}")])
    try:
        return ScoringModel.model_validate(data)
    except ValidationError as error:
        raise ModelError([_problem(detail) for detail in error.errors()]) from error


def default_model_text() -> str:
    """The YAML of the model shipped with Pulse (package data)."""
    resource = resources.files(__package__).joinpath(DEFAULT_MODEL_RESOURCE)
    return resource.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def default_model() -> ScoringModel:
    """The model shipped with Pulse, validated."""
    return load_model(default_model_text())


def _model_problems(model: ScoringModel) -> Problems:
    problems = _band_and_segment_problems(model) + _weight_problems(model)
    groups = ", ".join(model.groups)
    first_of: dict[str, int] = {}
    for i, measure in enumerate(model.measures):
        path = f"measures[{i}]"
        if measure.name in first_of:
            problems.append(
                (
                    f"{path}.name",
                    f"duplicate measure name {measure.name!r} "
                    f"(also measures[{first_of[measure.name]}])",
                )
            )
        first_of.setdefault(measure.name, i)
        if measure.group not in model.groups:
            problems.append(
                (f"{path}.group", f"unknown group {measure.group!r}; groups are {groups}")
            )
        if measure.never_sent == "drop" and not measure.reads:
            problems.append(
                (f"{path}.never_sent", "drop needs reads: it looks for events of their types")
            )
        problems += [(f"{path}.scoring{p}", m) for p, m in measure.scoring.problems()]
        problems += [
            (f"{path}{p}", m) for p, m in value_range_problems(measure.aggregation, measure.scoring)
        ]
        problems += [
            (f"{path}{p}", m)
            for p, m in measure_problems(measure.aggregation, measure.reads, measure.window_days)
        ]
    return problems


def _band_and_segment_problems(model: ScoringModel) -> Problems:
    problems: Problems = []
    if model.bands.yellow >= model.bands.green:
        problems.append(("bands.yellow", f"must be below bands.green ({model.bands.green:g})"))
    cuts = model.segmentation
    if cuts.low_touch_min_arr >= cuts.high_touch_min_arr:
        problems.append(
            (
                "segmentation.low_touch_min_arr",
                f"must be below segmentation.high_touch_min_arr ({cuts.high_touch_min_arr:g})",
            )
        )
    return problems


def _weight_problems(model: ScoringModel) -> Problems:
    groups = ", ".join(model.groups)
    problems: Problems = [
        (f"segment_weights.{segment}.{group}", f"unknown group {group!r}; groups are {groups}")
        for segment, weights in model.segment_weights.items()
        for group in weights
        if group not in model.groups
    ]
    used = {m.group for m in model.measures if m.group in model.groups}
    for segment in SEGMENTS:
        if used and not any(model.group_weight(group, segment) > 0 for group in used):
            where = f"segment_weights.{segment}" if segment in model.segment_weights else "groups"
            problems.append(
                (where, f"every group with measures weighs 0 for {segment}; give one a weight > 0")
            )
    return problems


def _problem(detail: ErrorDetails) -> tuple[str, str]:
    loc = _strip_tags(detail["loc"])
    if detail["type"] == "extra_forbidden":
        return dotted_path(loc), "unknown field"
    if detail["type"] == "missing":
        return dotted_path(loc), "field required"
    return dotted_path(loc), detail["msg"]


def _strip_tags(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """Drop the union tags pydantic puts in paths: `aggregation.count.weights` reads
    `aggregation.weights`."""
    out: list[int | str] = []
    for before, part in zip((None, *loc), loc, strict=False):
        if before in {"aggregation", "scoring"} and part in _TAGS:
            continue
        out.append(part)
    return tuple(out)


_TAGS = frozenset(
    {
        "count", "sum", "distinct_count", "latest", "average", "days_since_last",
        "open_count", "open_amount", "max_days_overdue", "overdue_amount_ratio",
        "trend_ratio", "ratio_to_attribute", "per_distinct", "manual", "steps", "linear", "log",
    }
)  # fmt: skip
