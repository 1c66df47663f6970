"""One measure over one account on one day: the unit `evaluate` computes values from."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pulse.health.scoring.facts import AccountFacts
from pulse.health.scoring.model import Measure, ScoringModel


@dataclass(slots=True)  # not frozen: a frozen __init__ is 3x slower, on a hot path
class Reading:
    """One measure over one account's facts on day `today`, with the series it selects."""

    measure: Measure
    facts: AccountFacts
    series: list[int]
    today: int

    @property
    def first_day(self) -> int:
        """The first day of the measure's window."""
        assert self.measure.window_days is not None, "the model check requires a window"
        return self.today - self.measure.window_days + 1


def readings(model: ScoringModel, facts: AccountFacts, today: int) -> list[Reading]:
    """Every measure of the model over the account, in model order."""
    selected = series_by_measure(model, facts)
    return [
        Reading(measure, facts, series, today)
        for measure, series in zip(model.measures, selected, strict=True)
    ]


#: Series keys remembered per model (keys of closed dimensions are few; metric names are not).
_MAX_KEYS = 50_000


def series_by_measure(model: ScoringModel, facts: AccountFacts) -> list[list[int]]:
    """Per measure, the ids of the account's series its reads select (each once)."""
    wanted = selected_series(model, facts, (1 << len(model.measures)) - 1)
    return [wanted.get(position, []) for position in range(len(model.measures))]


def selected_series(model: ScoringModel, facts: AccountFacts, wanted: int) -> dict[int, list[int]]:
    """`series_by_measure` for the measures of the bits of `wanted` only (a re-score after
    a few events needs a few): measure position -> series ids; no entry, no series.

    Which measures select a series key is worked out once per model and key, for all
    accounts.
    """
    matcher: dict[str, int] = model.derived("measures_reading_key")
    found: dict[int, list[int]] = {}
    for series, key in enumerate(facts.daily.keys):
        bits = matcher.get(key)
        if bits is None:
            if len(matcher) >= _MAX_KEYS:
                matcher.clear()
            bits = matcher[key] = _measures_reading(model, key)
        for position in set_bits(bits & wanted):
            found.setdefault(position, []).append(series)
    return found


def set_bits(bits: int) -> Iterator[int]:
    """The positions of the bits set in `bits`, lowest first (measure sets are bit masks)."""
    while bits:
        lowest = bits & -bits
        bits ^= lowest
        yield lowest.bit_length() - 1


def _measures_reading(model: ScoringModel, key: str) -> int:
    """Bit i set: measure i selects series `key`."""
    return sum(
        1 << position
        for position, measure in enumerate(model.measures)
        if any(read.compiled.matches_key(key) for read in measure.reads)
    )
