"""What a measure may read, checked against what the state keeps (`catalog`).

Each check returns (path below the measure, message) pairs a person can act on, e.g.
`(".reads[0].where.priority", "'urgnet' is not a priority; expected one of low, ...")`.
"""

from __future__ import annotations

from collections.abc import Sequence

from pulse.health.scoring.aggregations import (
    INVOICE_KINDS,
    Aggregation,
    Count,
    DistinctCount,
    Manual,
    OpenCount,
    PerDistinct,
    RatioToAttribute,
    TrendRatio,
)
from pulse.health.scoring.bands import BANDS
from pulse.health.scoring.catalog import (
    ATTRIBUTE_TYPES,
    DISTINCT_FIELDS,
    INVOICE_TYPES,
    KEPT,
    TICKET_DIMENSIONS,
    TICKET_TYPES,
    Dimension,
)
from pulse.health.scoring.functions import Problems, ScoringFunction
from pulse.health.scoring.selectors import EventSelector

#: Longest window of aggregations that read kept-forever values (latest, manual).
LONGEST_LATEST_WINDOW = 3_650
_VALUE_KINDS = frozenset({"sum", "average", "latest"})

#: The values each aggregation can produce, so a scoring function's points (and a manual
#: measure's values) lie where its measure's values can: a point outside can never be
#: reached, or stretches a line so far that every real value scores the same. Values
#: beyond the first or last point score as that point.
DAYS = (0.0, 36_500.0)  # a hundred years
AMOUNT = (0.0, 1e15)  # money has at most 15 integer digits
RATIO = (0.0, 1e6)
VALUE_RANGES: dict[str, tuple[float, float]] = {
    "count": (0.0, 1e9),
    "sum": (-1e15, 1e15),  # values of metrics may be negative
    "average": (-1e15, 1e15),
    "latest": (-1e15, 1e15),
    "distinct_count": (0.0, 1e6),
    "days_since_last": DAYS,
    "open_count": (0.0, 1e6),
    "open_amount": AMOUNT,
    "max_days_overdue": DAYS,
    "overdue_amount_ratio": RATIO,
    "trend_ratio": RATIO,
    "ratio_to_attribute": (0.0, 1e9),
    "per_distinct": (0.0, 1e15),
    "manual": (-1e6, 1e6),
}


def measure_problems(
    aggregation: Aggregation, reads: Sequence[EventSelector], window_days: int | None
) -> Problems:
    """Everything wrong with how a measure's aggregation, reads and window fit together."""
    problems = _window_problems(aggregation, reads, window_days)
    if isinstance(aggregation, Manual):
        return problems + _manual_problems(aggregation, reads)
    if not reads:
        return [*problems, (".reads", f"aggregation {aggregation.kind} needs at least one read")]
    if aggregation.kind in INVOICE_KINDS or isinstance(aggregation, OpenCount):
        return problems + _item_problems(aggregation, reads)
    if isinstance(aggregation, DistinctCount | PerDistinct) or (
        isinstance(aggregation, RatioToAttribute) and aggregation.of == "distinct_count"
    ):
        problems += _distinct_problems(aggregation.field, reads)
        if isinstance(aggregation, PerDistinct) and aggregation.of == "sum":
            problems += _value_field_problems(None, reads)
        return problems
    for i, read in enumerate(reads):
        problems += _read_problems(i, read)
    if aggregation.kind in _VALUE_KINDS or getattr(aggregation, "of", None) == "sum":
        problems += _value_field_problems(getattr(aggregation, "field", None), reads)
    if isinstance(aggregation, Count) and aggregation.weights is not None:
        problems += _weight_problems(aggregation, reads)
    return problems


def value_range_problems(aggregation: Aggregation, scoring: ScoringFunction) -> Problems:
    """Scoring points (and manual values) outside what the aggregation can produce."""
    low, high = VALUE_RANGES[aggregation.kind]
    where = [(f".scoring{path}", value) for path, value in scoring.points()]
    if isinstance(aggregation, Manual):
        where += [(f".aggregation.values.{s}", v) for s, v in aggregation.values.items()]
    return [
        (path, f"expected {low:g} to {high:g} for aggregation {aggregation.kind}, got {value:g}")
        for path, value in where
        if not low <= value <= high
    ]


def _read_problems(i: int, read: EventSelector) -> Problems:
    if read.type in ATTRIBUTE_TYPES:
        return [
            (
                f".reads[{i}].type",
                f"{read.type} is read as account attributes (segment, arr, licensed_seats ...), "
                "not as events; use ratio_to_attribute",
            )
        ]
    return _where_problems(i, read, KEPT[read.type].dimensions)


def _where_problems(i: int, read: EventSelector, dimensions: tuple[Dimension, ...]) -> Problems:
    problems: Problems = []
    by_name = {d.name: d for d in dimensions}
    for name in read.where:
        path = f".reads[{i}].where.{name}"
        dimension = by_name.get(name)
        if dimension is None:
            kept = ", ".join(by_name) or "nothing"
            problems.append(
                (path, f"{read.type} cannot be filtered on {name!r}; it can on: {kept}")
            )
            continue
        if not read.allowed(name):
            problems.append((path, "expected at least one value"))
        if dimension.values:
            for value in read.allowed(name):
                if value not in dimension.values:
                    expected = ", ".join(dimension.values)
                    problems.append(
                        (path, f"{value!r} is not a {name}; expected one of {expected}")
                    )
    return problems


def _window_problems(
    aggregation: Aggregation, reads: Sequence[EventSelector], window_days: int | None
) -> Problems:
    rule = aggregation.window
    if window_days is None:
        if rule == "required":
            return [(".window_days", f"required for aggregation {aggregation.kind}")]
        return _trend_span_problems(aggregation, reads)
    if rule == "none":
        return [(".window_days", f"aggregation {aggregation.kind} has no window; remove it")]
    if window_days < 1:
        return [(".window_days", f"expected at least 1 day, got {window_days}")]
    if rule == "optional":
        if window_days > LONGEST_LATEST_WINDOW:
            return [(".window_days", f"expected at most {LONGEST_LATEST_WINDOW} days")]
        return []
    return _limit_problems(".window_days", window_days, reads)


def _trend_span_problems(aggregation: Aggregation, reads: Sequence[EventSelector]) -> Problems:
    if not isinstance(aggregation, TrendRatio):
        return []
    span = aggregation.short_days + aggregation.baseline_days
    return _limit_problems(".aggregation.baseline_days", span, reads, "short_days + baseline_days")


def _limit_problems(
    path: str, days: int, reads: Sequence[EventSelector], what: str = "the window"
) -> Problems:
    problems: Problems = []
    for read in reads:
        kept = KEPT.get(read.type)
        if kept is not None and days > kept.window_limit:
            problems.append(
                (
                    path,
                    f"{what} ({days} days) is longer than the {kept.window_limit} days "
                    f"the state keeps of {read.type}",
                )
            )
    return problems


def _value_field_problems(field: str | None, reads: Sequence[EventSelector]) -> Problems:
    problems: Problems = []
    for i, read in enumerate(reads):
        kept = KEPT.get(read.type)
        value_field = kept.value_field if kept is not None else None
        if value_field is None:
            problems.append(
                (f".reads[{i}].type", f"{read.type} carries no value to sum, average or take")
            )
        elif field is not None and field != value_field:
            problems.append(
                (
                    ".aggregation.field",
                    f"{field!r} is not kept for {read.type}; its value field is {value_field!r} "
                    "(or leave field out to use each type's value field)",
                )
            )
    return problems


def _distinct_problems(field: str | None, reads: Sequence[EventSelector]) -> Problems:
    if field is None:
        return [(".aggregation.field", "required: the field whose distinct values to count")]
    problems: Problems = []
    for i, read in enumerate(reads):
        fields = DISTINCT_FIELDS.get(read.type, ())
        if field not in fields:
            kept = ", ".join(f"{t}.{f}" for t, fs in DISTINCT_FIELDS.items() for f in fs)
            problems.append(
                (
                    ".aggregation.field",
                    f"distinct values of {read.type}.{field} are not kept; they are of: {kept}",
                )
            )
        if read.where:
            problems.append(
                (f".reads[{i}].where", "a distinct count cannot be filtered; remove where")
            )
    return problems


def _item_problems(aggregation: Aggregation, reads: Sequence[EventSelector]) -> Problems:
    allowed = INVOICE_TYPES if aggregation.kind in INVOICE_KINDS else TICKET_TYPES + INVOICE_TYPES
    ledgers = {read.type in TICKET_TYPES for read in reads}
    problems: Problems = []
    for i, read in enumerate(reads):
        if read.type not in allowed:
            problems.append(
                (
                    f".reads[{i}].type",
                    f"aggregation {aggregation.kind} reads {', '.join(allowed)}, not {read.type}",
                )
            )
        elif read.type in TICKET_TYPES:
            problems += _where_problems(i, read, TICKET_DIMENSIONS)
        else:
            problems += _where_problems(i, read, ())
    if len(ledgers) > 1:
        problems.append((".reads", "read either tickets or invoices, not both"))
    return problems


def _weight_problems(aggregation: Count, reads: Sequence[EventSelector]) -> Problems:
    assert aggregation.weights is not None
    field = aggregation.weights.field
    problems: Problems = []
    for read in reads:
        kept = KEPT.get(read.type)
        dimension = kept.dimension(field) if kept is not None else None
        if dimension is None:
            problems.append(
                (".aggregation.weights.field", f"{read.type} events are not kept by {field!r}")
            )
            continue
        for value in aggregation.weights.values:
            if dimension.values and value not in dimension.values:
                problems.append(
                    (
                        f".aggregation.weights.values.{value}",
                        f"{value!r} is not a {field}; "
                        f"expected one of {', '.join(dimension.values)}",
                    )
                )
    return problems


def _manual_problems(aggregation: Manual, reads: Sequence[EventSelector]) -> Problems:
    problems: Problems = []
    if reads:
        problems.append(
            (".reads", "a manual measure reads no events (the API sets it); remove reads")
        )
    missing = [s for s in BANDS if s not in aggregation.values]
    if missing:
        problems.append((".aggregation.values", f"needs a value for {', '.join(missing)}"))
    return problems
