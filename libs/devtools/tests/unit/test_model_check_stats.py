"""The validation statistics against hand-computed and brute-force values."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from pulse.common.events.enums import ContractChange, ContractReasonCategory
from pulse.devtools.model_check.measures import correlations, measure_signals
from pulse.devtools.model_check.observations import (
    ComponentScore,
    Observation,
    Outcome,
    components_of,
    outcome_of,
)
from pulse.devtools.model_check.probabilities import band_calibration, renewals_probabilities
from pulse.devtools.model_check.ranking import auc, auc_interval
from pulse.devtools.model_check.rates import (
    band_rates,
    decile_rates,
    lowest_decile_lift,
    red_band,
)
from pulse.devtools.model_check.report import Period, report_json, validate
from pulse.devtools.model_check.text import render_text
from pulse.renewals.contracts.changes import ContractEvent
from pulse.renewals.contracts.timeline import ContractTimeline
from pulse.renewals.money.amounts import Amount

T0 = datetime(2026, 6, 1, tzinfo=UTC)
PERIOD = Period(date(2026, 6, 1), date(2026, 9, 30), 90)


def obs(
    name: str,
    churned: bool,
    score: float | None,
    band: str | None = None,
    components: tuple[ComponentScore, ...] = (),
) -> Observation:
    if band is None and score is not None:
        band = "green" if score >= 70 else "yellow" if score >= 40 else "red"
    return Observation(Outcome(name, T0, churned), score, band, components)


def brute_force_auc(risk: list[float], churned: list[bool]) -> float:
    pairs = [
        (p, n)
        for p, c in zip(risk, churned, strict=False)
        if c
        for n, k in zip(risk, churned, strict=False)
        if not k
    ]
    return sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in pairs) / len(pairs)


def test_auc_by_hand() -> None:
    # Pairs (churner, kept): (2,1) yes, (2,3) no, (4,1) yes, (4,3) yes: 3 of 4.
    assert auc([1, 2, 3, 4], [False, True, False, True]) == 0.75
    # A tie counts one half.
    assert auc([1, 1], [True, False]) == 0.5
    assert auc([5, 1, 1], [True, False, True]) == 0.75


@pytest.mark.parametrize("seed", range(20))
def test_auc_matches_brute_force_with_ties(seed: int) -> None:
    rng = random.Random(seed)
    size = rng.randint(2, 60)
    risk = [float(rng.randint(0, 8)) for _ in range(size)]  # many ties
    churned = [rng.random() < 0.3 for _ in range(size)]
    churned[0], churned[1] = True, False
    assert auc(risk, churned) == pytest.approx(brute_force_auc(risk, churned))


def test_auc_needs_both_outcomes() -> None:
    with pytest.raises(ValueError, match="at least one churned and one kept"):
        auc([1, 2], [True, True])


def test_auc_interval_is_seeded_and_brackets_the_value() -> None:
    rng = random.Random(7)
    churned = [rng.random() < 0.3 for _ in range(300)]
    risk = [rng.gauss(1.0 if c else 0.0, 1.0) for c in churned]
    first = auc_interval(risk, churned, seed=3, resamples=300)
    assert first == auc_interval(risk, churned, seed=3, resamples=300)
    assert first != auc_interval(risk, churned, seed=4, resamples=300)
    assert first.low < first.value < first.high
    assert 0.6 < first.value < 0.9
    assert first.high - first.low < 0.2
    perfect = auc_interval([0, 0, 1, 1], [False, False, True, True], seed=0, resamples=50)
    assert (perfect.value, perfect.low, perfect.high) == (1.0, 1.0, 1.0)


def test_deciles_lift_and_red_band_by_hand() -> None:
    # Scores 0..19; the four lowest churned, plus the account scoring 15.
    observations = [obs(f"a{i:02}", i < 4 or i == 15, float(i * 5)) for i in range(20)]
    deciles = decile_rates(observations)
    assert [(d.accounts, d.churned) for d in deciles] == [(2, 2), (2, 2)] + [(2, 0)] * 5 + [
        (2, 1),
        (2, 0),
        (2, 0),
    ]
    assert (deciles[0].low, deciles[0].high) == (0.0, 5.0)
    # D1 churns 2/2, overall 5/20: lift 4.
    assert lowest_decile_lift(observations) == pytest.approx(4.0)
    # Red = score < 40: a00..a07, four of them churned; five churners in all.
    red = red_band(observations)
    assert red.precision == pytest.approx(4 / 8)
    assert red.recall == pytest.approx(4 / 5)


def test_deciles_of_uneven_counts_differ_by_one_at_most() -> None:
    observations = [obs(f"a{i:02}", i % 3 == 0, float(i % 7)) for i in range(23)]
    sizes = [d.accounts for d in decile_rates(observations)]
    assert sum(sizes) == 23
    assert max(sizes) - min(sizes) <= 1


def test_band_rates_and_renewals_calibration() -> None:
    observations = [
        obs("g1", False, 90),
        obs("g2", True, 80),
        obs("y1", False, 50),
        obs("r1", True, 10),
        obs("u1", False, None),
    ]
    rates = {r.name: (r.accounts, r.churned) for r in band_rates(observations)}
    assert rates == {"green": (2, 1), "yellow": (1, 0), "red": (1, 1), "unscored": (1, 0)}
    probabilities = renewals_probabilities()
    # Renewals' defaults (forecast/config.py): 0.95, 0.80, 0.50, 0.75.
    assert probabilities == {"green": 0.95, "yellow": 0.8, "red": 0.5, "unscored": 0.75}
    rows = {
        c.band: (c.predicted, c.observed) for c in band_calibration(observations, probabilities)
    }
    assert rows == {
        "green": (0.95, 0.5),
        "yellow": (0.8, 1.0),
        "red": (0.5, 0.0),
        "unscored": (0.75, 1.0),
    }


def _with_measures(count: int, seed: int) -> list[Observation]:
    rng = random.Random(seed)
    found = []
    for i in range(count):
        churned = i % 3 == 0
        signal = 20.0 if churned else 80.0  # separates perfectly
        noise = float(rng.randint(0, 100))
        components = (
            ComponentScore("signal", "usage", signal),
            ComponentScore("twin", "usage", signal),
            ComponentScore("noise", "support", noise),
            ComponentScore("flat", "billing", 100.0),
            ComponentScore("dropped", "billing", None),
        )
        found.append(obs(f"a{i:03}", churned, (signal + noise) / 2, components=components))
    return found


def test_each_measure_auc_and_correlations() -> None:
    observations = _with_measures(120, 1)
    signals = {s.measure: s for s in measure_signals(observations)}
    assert signals["signal"].auc == 1.0
    assert signals["flat"].auc == 0.5
    assert signals["noise"].auc is not None
    assert 0.35 < signals["noise"].auc < 0.65
    assert signals["dropped"].auc is None
    assert signals["dropped"].accounts == 0
    matrix = correlations(observations)
    assert matrix["signal"]["twin"] == pytest.approx(1.0)
    assert matrix["flat"]["signal"] is None  # a constant has no correlation
    assert matrix["dropped"]["signal"] is None
    assert abs(matrix["signal"]["noise"] or 0) < 0.3


def test_too_few_outcomes_gives_a_sentence_not_a_number() -> None:
    few = [obs(f"c{i}", True, 20.0) for i in range(29)] + [
        obs(f"k{i}", False, 80.0) for i in range(100)
    ]
    report = validate(few, PERIOD, renewals_probabilities())
    assert report.auc is None
    assert report.lowest_decile_lift is None
    assert report.verdict is not None
    assert "too few outcomes to conclude: 29 churned and 100 kept" in report.verdict
    assert "AUC" not in render_text(report)
    assert "Too few outcomes to conclude" in render_text(report)
    body = report_json(report)
    assert body["auc"] is None
    assert body["sufficiency"] == {"churned": 29, "kept": 100, "enough": False}
    enough = validate([*few, obs("c29", True, 20.0)], PERIOD, renewals_probabilities())
    assert enough.verdict is None
    assert enough.auc is not None
    assert enough.auc.value == 1.0


def test_report_counts_unscored_apart_from_the_ranking() -> None:
    observations = [*_with_measures(120, 2), obs("u1", True, None), obs("u2", False, None)]
    report = validate(observations, PERIOD, renewals_probabilities(), seed=1)
    assert report.outcomes == 122
    assert report.unscored == 2
    assert (report.sufficiency.churned, report.sufficiency.kept) == (40, 80)
    text = render_text(report)
    assert "AUC of (100 - score) for churn" in text
    assert "signal" in text
    assert "signal ~ twin: +1.00" in text


def _timeline(*changes: tuple[str, datetime, ContractChange, int]) -> ContractTimeline:
    timeline = ContractTimeline()
    for event_id, at, change, minor in changes:
        reason = ContractReasonCategory.PRICE if minor == 0 else None
        timeline.apply(ContractEvent(event_id, at, change, Amount(minor, "USD"), reason))
    return timeline


def test_outcomes_of_contract_timelines() -> None:
    start, end = T0, T0 + timedelta(days=30)
    before, inside, later = T0 - timedelta(days=300), T0 + timedelta(days=5), T0 + timedelta(days=9)
    renewed = _timeline(
        ("n", before, ContractChange.NEW, 100), ("r", inside, ContractChange.RENEWAL, 100)
    )
    assert outcome_of("a", renewed.steps, start, end) == Outcome("a", inside, False)
    # Renewed, then left in the same period: churn wins.
    left = _timeline(
        ("n", before, ContractChange.NEW, 100),
        ("r", inside, ContractChange.RENEWAL, 120),
        ("c", later, ContractChange.CHURN, 0),
    )
    assert outcome_of("b", left.steps, start, end) == Outcome("b", later, True, "price")
    # A new contract is no outcome; nor is a change outside the period ([start, end)).
    new = _timeline(("n", inside, ContractChange.NEW, 100))
    assert outcome_of("c", new.steps, start, end) is None
    at_end = _timeline(("n", before, ContractChange.NEW, 100), ("c", end, ContractChange.CHURN, 0))
    assert outcome_of("d", at_end.steps, start, end) is None


def test_components_of_stored_documents() -> None:
    stored: list[dict[str, object]] = [
        {"measure": "m", "group": "g", "value": 3, "score": 40, "weight": 0.5, "contribution": 20},
        {
            "measure": "d",
            "group": "g",
            "value": None,
            "score": None,
            "weight": 0,
            "contribution": 0,
        },
    ]
    assert components_of(stored) == (ComponentScore("m", "g", 40.0), ComponentScore("d", "g", None))
