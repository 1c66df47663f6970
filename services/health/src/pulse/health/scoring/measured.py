"""Measure results kept between re-scores of one account, so a re-score evaluates only
the measures its events can have changed.

An event changes the few measures whose `inputs` include its type; the others keep their
value, score and change day until the day or the model changes. A re-score after a
handful of events therefore evaluates two or three of the model's measures instead of all
of them, and gets exactly what evaluating all of them would (a property test holds it to
that). Results are tuples shared by every account with the same value of a measure: a
reference per measure, about 0.3 KiB per decoded account.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from itertools import chain
from typing import cast

from pulse.health.scoring.evaluate import change_day, inputs, measure_value
from pulse.health.scoring.facts import AccountFacts
from pulse.health.scoring.model import Measure, ScoringModel
from pulse.health.scoring.reading import Reading, selected_series, set_bits

#: A measure's value as components show it (4 decimals), its score, that score as
#: components show it (2 decimals), and why the value is missing; None: missing, or dropped.
Measured = tuple[Measure, float | None, float | None, float | None, str | None]
#: Why a value is missing: nothing to compute it from (its `missing` policy applies)...
NO_VALUE = "no_value"
#: ...or the account never sent an event of a type the measure reads (`never_sent: drop`).
NEVER_SENT = "never_sent"

_UNKNOWN = -2  # change day not worked out since the measure was last evaluated
_NEVER = -1  # only an event can change the measure
#: Values remembered per measure with their score (counts and days repeat across accounts;
#: ratios rarely do, so the memo stops growing rather than churning).
_MAX_MEMO = 2048


class MeasureResults:
    """One account's measure results for one day under one model."""

    __slots__ = ("_change_days", "_day", "_measured", "_model", "_stale")

    def __init__(self) -> None:
        self._model: ScoringModel | None = None
        self._day = -1
        # Shared tuples from the model's memo (`_scored`): a reference per measure.
        self._measured: list[Measured] = []
        self._change_days: array[int] = array("i")
        self._stale = 0  # bit i: measure i must be evaluated again

    def changed(self, model: ScoringModel, input_: str) -> None:
        """An event of type `input_` (or a CSM sentiment) was applied to the facts."""
        if model is self._model:
            self._stale |= _stale_bits(model, input_)

    def forget(self) -> None:
        """The facts changed in a way `changed` does not describe: evaluate everything."""
        self._model = None

    def measure(self, model: ScoringModel, facts: AccountFacts, today: int) -> list[Measured]:
        """Every measure's value and score on `today`, in model order."""
        count = len(model.measures)
        if model is not self._model or today != self._day:
            self._model, self._day = model, today
            self._measured = [_NOT_MEASURED] * count
            self._change_days = array("i", [_UNKNOWN]) * count
            stale = (1 << count) - 1
        else:
            stale = self._stale
        self._stale = 0
        if stale:
            self._evaluate(model, facts, today, stale)
        return self._measured.copy()

    def _evaluate(self, model: ScoringModel, facts: AccountFacts, today: int, stale: int) -> None:
        selected = selected_series(model, facts, stale)
        measured, change_days, measures = self._measured, self._change_days, model.measures
        memos: dict[int, dict[float | None, Measured]] = model.derived("measured_by_value")
        sent: frozenset[str] | None = None
        for i in set_bits(stale):  # after a few events, a few measures
            measure = measures[i]
            if measure.never_sent == "drop":
                if sent is None:
                    sent = facts.types_sent()
                if sent.isdisjoint(_read_types(model)[i]):
                    measured[i] = _never_sent(model, i)
                    change_days[i] = _UNKNOWN
                    continue
            value = measure_value(Reading(measure, facts, selected.get(i, []), today))
            memo = memos.get(i)
            if memo is None:
                memo = memos[i] = {}
            found = memo.get(value)
            if found is None:
                found = _scored(measure, value)
                if len(memo) < _MAX_MEMO:
                    memo[value] = found
            measured[i] = found
            change_days[i] = _UNKNOWN

    def next_change_day(self, facts: AccountFacts) -> int | None:
        """The first day after the measured day whose midnight can change a measure with
        no new event (see `evaluate.change_day`), or the next day when that is sooner;
        None: none can. After `measure`."""
        model, today, days = self._model, self._day, self._change_days
        assert model is not None, "measure first"
        assert not self._stale, "measure again after a change"
        tomorrow = today + 1  # a change no event brings waits for a midnight anyway
        first = min((day for day in days if day >= 0), default=None)
        if first is not None and first <= tomorrow:
            return tomorrow
        unknown = sum(1 << i for i, day in enumerate(days) if day == _UNKNOWN)
        if unknown:
            selected = selected_series(model, facts, unknown)
            # Measures that change at every midnight of an active account first: one of
            # them is usually the answer, and the rest need not be worked out.
            daily = _daily_changes(model)
            for i in chain(set_bits(unknown & daily), set_bits(unknown & ~daily)):
                reading = Reading(model.measures[i], facts, selected.get(i, []), today)
                day = change_day(reading)
                days[i] = _NEVER if day is None else day
                if day is not None and (first is None or day < first):
                    if day <= tomorrow:
                        return tomorrow  # the rest stay unknown until this one changes
                    first = day
        return first


def measure_all(model: ScoringModel, facts: AccountFacts, today: int) -> list[Measured]:
    """Every measure's value and score on `today`, evaluated afresh."""
    return MeasureResults().measure(model, facts, today)


def _scored(measure: Measure, value: float | None) -> Measured:
    """The measure's entry for `value` (None: missing)."""
    score = measure.scoring.score(value) if value is not None else measure.missing_score()
    return (
        measure,
        None if value is None else round(value, 4) + 0.0,  # + 0.0: -0.0 shows as 0.0
        score,
        None if score is None else round(score, 2),
        None if value is not None else NO_VALUE,
    )


def _never_sent(model: ScoringModel, i: int) -> Measured:
    """Measure i's entry while the account never sent an event of a type it reads."""
    entries: dict[int, Measured] = model.derived("measured_never_sent")
    found = entries.get(i)
    if found is None:
        found = entries[i] = (model.measures[i], None, None, None, NEVER_SENT)
    return found


def _read_types(model: ScoringModel) -> list[frozenset[str]]:
    """Per measure, the event types its reads name (worked out once per model)."""
    return model.derived_value(
        "read_types", lambda m: [frozenset(r.type for r in x.reads) for x in m.measures]
    )


#: A placeholder until a measure is evaluated (never returned: `measure` evaluates all).
_NOT_MEASURED = cast(Measured, (None, None, None, None, None))


def _daily_changes(model: ScoringModel) -> int:
    """Bit i set: measure i's value moves at every midnight while its events keep coming
    (days since the last one, a trend)."""
    return model.derived_value("measures_changing_daily", _work_out_daily_changes)


def _work_out_daily_changes(model: ScoringModel) -> int:
    return sum(
        1 << i
        for i, measure in enumerate(model.measures)
        if measure.aggregation.kind in _DAILY_KINDS
    )


_DAILY_KINDS = frozenset({"days_since_last", "trend_ratio"})


def _stale_bits(model: ScoringModel, input_: str) -> int:
    """Bit i set: measure i reads `input_` (worked out once per model and input)."""
    known: dict[str, int] = model.derived("measures_reading_input")
    bits = known.get(input_)
    if bits is None:
        bits = known[input_] = _reading(model.measures, input_)
    return bits


def _reading(measures: Sequence[Measure], input_: str) -> int:
    return sum(1 << i for i, measure in enumerate(measures) if input_ in inputs(measure))
