"""What each aggregation computes over an account's facts on a UTC day, and the first day
its value can change with no new event (a bucket leaving the window, an invoice ageing).

Windows of N days are the N UTC days ending today, plus anything stamped later (events may
be up to 24 h ahead of the consumer's clock). Counts and sums are never missing (none is 0);
averages, latest values, ratios and trends are missing without data to compute them; the
invoice aggregations are missing until the account's first invoice event (`open_items`).
"""

from __future__ import annotations

from collections.abc import Callable

from pulse.health.scoring import open_items
from pulse.health.scoring.aggregations import (
    Count,
    DistinctCount,
    Manual,
    PerDistinct,
    RatioToAttribute,
    TrendRatio,
)
from pulse.health.scoring.catalog import INVOICE_TYPES, KEPT, TICKET_TYPES, key_values, type_of
from pulse.health.scoring.days import day_of, day_of_second
from pulse.health.scoring.lastseen import LastSeen
from pulse.health.scoring.model import Measure
from pulse.health.scoring.reading import Reading

#: The input a CSM's sentiment (set over the API, not by an event) changes.
CSM_SENTIMENT = "csm_sentiment"
#: Event types that change account attributes (ARR, seats, currency).
ATTRIBUTE_CHANGES = frozenset({"account.updated", "contract.changed"})


def measure_value(reading: Reading) -> float | None:
    """The measure's raw value; None when missing."""
    return _VALUES[reading.measure.aggregation.kind](reading)


def change_day(reading: Reading) -> int | None:
    """The first day after `today` whose midnight can change the value; None: no such day."""
    return _CHANGE_DAYS[reading.measure.aggregation.kind](reading)


def inputs(measure: Measure) -> frozenset[str]:
    """The event types (and `CSM_SENTIMENT`) whose application can change the measure's
    value or change day on a given day: its reads' types, plus what its kind reads
    beyond their series (open items, account attributes, the CSM's sentiment)."""
    return frozenset({read.type for read in measure.reads}) | _INPUTS[measure.aggregation.kind](
        measure
    )


def _none(measure: Measure) -> frozenset[str]:
    return frozenset()


def _open_items(measure: Measure) -> frozenset[str]:
    if measure.reads[0].type in TICKET_TYPES:  # as `open_items.open_count` decides
        return frozenset(TICKET_TYPES)
    return _invoices(measure)


def _invoices(measure: Measure) -> frozenset[str]:
    # Invoices in another currency than the account's are left out; ratios divide by ARR.
    return frozenset(INVOICE_TYPES) | ATTRIBUTE_CHANGES


def _attributes(measure: Measure) -> frozenset[str]:
    return ATTRIBUTE_CHANGES


def _sentiment(measure: Measure) -> frozenset[str]:
    return frozenset({CSM_SENTIMENT})


# -- windows over daily counts -------------------------------------------------------------


def _count(r: Reading) -> float:
    first = r.first_day
    aggregation = r.measure.aggregation
    weights = aggregation.weights if isinstance(aggregation, Count) else None
    total = 0.0
    for series in r.series:
        count: float = r.facts.daily.count(series, first)
        if count and weights is not None:
            key = r.facts.daily.keys[series]
            kept = KEPT[type_of(key)]
            position = [d.name for d in kept.dimensions].index(weights.field)
            count *= weights.values.get(key_values(key, kept)[position], weights.default)
        total += count
    return total


def _valued(r: Reading, first: int, last: int | None) -> tuple[int, float]:
    count, total = 0, 0.0
    for series in r.series:
        n, s = r.facts.daily.valued(series, first, last)
        count, total = count + n, total + s
    return count, total


def _sum(r: Reading) -> float:
    return _valued(r, r.first_day, None)[1]


def _average(r: Reading) -> float | None:
    count, total = _valued(r, r.first_day, None)
    return total / count if count else None


def _distinct(r: Reading) -> float:
    seen = _seen(r)
    return 0.0 if seen is None else float(seen.count_since(r.first_day))


def _seen(r: Reading) -> LastSeen | None:
    aggregation = r.measure.aggregation
    assert isinstance(aggregation, DistinctCount | RatioToAttribute | PerDistinct)
    assert aggregation.field is not None
    return r.facts.distinct(r.measure.reads[0].type, aggregation.field)


def _window_change_day(r: Reading) -> int | None:
    first = r.first_day
    days = [r.facts.daily.earliest_day(series, first) for series in r.series]
    earliest = min((d for d in days if d is not None), default=None)
    return None if earliest is None else earliest + r.today - first + 1


def _distinct_change_day(r: Reading) -> int | None:
    seen = _seen(r)
    earliest = None if seen is None else seen.earliest_since(r.first_day)
    return None if earliest is None else earliest + r.today - r.first_day + 1


# -- latest events -------------------------------------------------------------------------


def _latest(r: Reading) -> tuple[int, float] | None:
    found = [r.facts.daily.latest_value(series) for series in r.series]
    return max((f for f in found if f is not None), default=None)


def _latest_value(r: Reading) -> float | None:
    latest = _latest(r)
    if latest is None:
        return None
    if r.measure.window_days is not None and day_of_second(latest[0]) < r.first_day:
        return None
    return latest[1]


def _latest_change_day(r: Reading) -> int | None:
    latest = _latest(r)
    if latest is None or r.measure.window_days is None:
        return None
    expiry = day_of_second(latest[0]) + r.measure.window_days
    return expiry if expiry > r.today else None


def _last_day(r: Reading) -> int | None:
    days = (r.facts.daily.last_day(series) for series in r.series)
    return max((day for day in days if day is not None), default=None)


def _days_since_last(r: Reading) -> float | None:
    last = _last_day(r)
    return None if last is None else float(max(0, r.today - last))


def _days_since_change_day(r: Reading) -> int | None:
    return None if _last_day(r) is None else r.today + 1


# -- trend and ratios ----------------------------------------------------------------------


def _trend(r: Reading) -> float | None:
    aggregation = r.measure.aggregation
    assert isinstance(aggregation, TrendRatio)
    short, base, today = aggregation.short_days, aggregation.baseline_days, r.today
    short_total = _rate_total(r, today - short, today - 1, aggregation.of)
    base_total = _rate_total(r, today - short - base, today - short - 1, aggregation.of)
    if base_total <= 0:
        return None
    return (short_total / short) / (base_total / base)


def _rate_total(r: Reading, first: int, last: int, of: str) -> float:
    if of == "sum":
        return _valued(r, first, last)[1]
    return float(sum(r.facts.daily.count(series, first, last) for series in r.series))


def _trend_change_day(r: Reading) -> int | None:
    aggregation = r.measure.aggregation
    assert isinstance(aggregation, TrendRatio)
    first = r.today - aggregation.short_days - aggregation.baseline_days
    busy = any(r.facts.daily.earliest_day(series, first) is not None for series in r.series)
    return r.today + 1 if busy else None  # every midnight a day moves between the windows


def _ratio(r: Reading) -> float | None:
    aggregation = r.measure.aggregation
    assert isinstance(aggregation, RatioToAttribute)
    divisor: float | None = getattr(r.facts.attributes, aggregation.attribute)
    if not divisor or divisor <= 0:
        return None
    numerator = {"count": _count, "sum": _sum, "distinct_count": _distinct}[aggregation.of]
    return numerator(r) / divisor


def _ratio_change_day(r: Reading) -> int | None:
    aggregation = r.measure.aggregation
    assert isinstance(aggregation, RatioToAttribute)
    if aggregation.of == "distinct_count":
        return _distinct_change_day(r)
    return _window_change_day(r)


def _per_distinct(r: Reading) -> float | None:
    aggregation = r.measure.aggregation
    assert isinstance(aggregation, PerDistinct)
    distinct = _distinct(r)
    if not distinct:
        return None
    return (_count(r) if aggregation.of == "count" else _sum(r)) / distinct


def _per_distinct_change_day(r: Reading) -> int | None:
    # The events leave the window with their days; the distinct values with their last day.
    days = (_window_change_day(r), _distinct_change_day(r))
    return min((day for day in days if day is not None), default=None)


# -- manual --------------------------------------------------------------------------------


def _manual(r: Reading) -> float | None:
    aggregation = r.measure.aggregation
    assert isinstance(aggregation, Manual)
    facts = r.facts
    if facts.csm_sentiment is None or facts.csm_set_at is None:
        return None
    if r.measure.window_days is not None and day_of(facts.csm_set_at) < r.first_day:
        return None
    return aggregation.values[facts.csm_sentiment]  # type: ignore[index]


def _manual_change_day(r: Reading) -> int | None:
    if r.facts.csm_set_at is None or r.measure.window_days is None:
        return None
    expiry = day_of(r.facts.csm_set_at) + r.measure.window_days
    return expiry if expiry > r.today else None


def _never(r: Reading) -> int | None:
    return None


_VALUES: dict[str, Callable[[Reading], float | None]] = {
    "count": _count,
    "sum": _sum,
    "distinct_count": _distinct,
    "latest": _latest_value,
    "average": _average,
    "days_since_last": _days_since_last,
    "open_count": open_items.open_count,
    "open_amount": open_items.open_amount,
    "max_days_overdue": open_items.max_days_overdue,
    "overdue_amount_ratio": open_items.overdue_ratio,
    "trend_ratio": _trend,
    "ratio_to_attribute": _ratio,
    "per_distinct": _per_distinct,
    "manual": _manual,
}

_CHANGE_DAYS: dict[str, Callable[[Reading], int | None]] = {
    "count": _window_change_day,
    "sum": _window_change_day,
    "distinct_count": _distinct_change_day,
    "latest": _latest_change_day,
    "average": _window_change_day,
    "days_since_last": _days_since_change_day,
    "open_count": _never,
    "open_amount": _never,
    "max_days_overdue": open_items.overdue_days_change_day,
    "overdue_amount_ratio": open_items.overdue_ratio_change_day,
    "trend_ratio": _trend_change_day,
    "ratio_to_attribute": _ratio_change_day,
    "per_distinct": _per_distinct_change_day,
    "manual": _manual_change_day,
}

_INPUTS: dict[str, Callable[[Measure], frozenset[str]]] = {
    "count": _none,
    "sum": _none,
    "distinct_count": _none,
    "latest": _none,
    "average": _none,
    "days_since_last": _none,
    "open_count": _open_items,
    "open_amount": _invoices,
    "max_days_overdue": _invoices,
    "overdue_amount_ratio": _invoices,
    "trend_ratio": _none,
    "ratio_to_attribute": _attributes,
    "per_distinct": _none,
    "manual": _sentiment,
}
assert _INPUTS.keys() == _VALUES.keys() == _CHANGE_DAYS.keys(), "every kind needs each table"
