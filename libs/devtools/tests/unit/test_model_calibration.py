"""Calibration of group weights on synthetic outcomes, and the model file it writes."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from pulse.devtools.model_check.model_file import calibrated_model_text, new_version
from pulse.devtools.model_check.observations import ComponentScore, Observation, Outcome
from pulse.devtools.model_check.weights import TooFewOutcomes, calibrate, score_with
from pulse.health.scoring.model import default_model, default_model_text, load_model

T0 = datetime(2026, 1, 1, tzinfo=UTC)
#: The current weights under-rate usage, the one group that drives churn here.
OLD_WEIGHTS = {"usage": 0.1, "support": 0.45, "billing": 0.45}


def synthetic_base(count: int, seed: int) -> list[Observation]:
    """Accounts whose churn follows their usage score; support and billing are noise.
    Each stored score is what the old weights give."""
    rng = random.Random(seed)
    found = []
    for i in range(count):
        usage = rng.uniform(0, 100)
        churn_chance = 1 / (1 + math.exp((usage - 35) / 8))
        components = (
            ComponentScore("active_user_ratio", "usage", usage),
            ComponentScore("usage_trend", "usage", min(100.0, max(0.0, usage + rng.gauss(0, 10)))),
            ComponentScore("tickets", "support", rng.uniform(0, 100)),
            ComponentScore("invoices", "billing", rng.uniform(0, 100)),
            ComponentScore("never_sent", "billing", None),
        )
        outcome = Outcome(f"a{i:04}", T0 + timedelta(hours=i), rng.random() < churn_chance)
        partial = Observation(outcome, None, None, components)
        score = score_with(OLD_WEIGHTS, partial)
        found.append(Observation(outcome, score, "green", components))
    return found


def test_score_with_shares_group_weight_and_drops_missing_groups() -> None:
    components = (
        ComponentScore("a", "usage", 40.0),
        ComponentScore("b", "usage", 80.0),
        ComponentScore("c", "support", 10.0),
        ComponentScore("d", "billing", None),
    )
    observation = Observation(Outcome("x", T0, False), None, None, components)
    # usage = (40 + 80) / 2 = 60; billing absent: (0.1*60 + 0.45*10) / 0.55 = 19.0909...
    assert score_with(OLD_WEIGHTS, observation) == pytest.approx(10.5 / 0.55)


def test_calibrate_raises_held_out_auc_when_a_driver_is_under_weighted() -> None:
    result = calibrate(synthetic_base(900, 5), OLD_WEIGHTS, seed=1)
    assert result.held_out == 270
    assert result.trained_on == 630
    assert result.held_out_from == T0 + timedelta(hours=630)  # later outcomes held out
    assert result.new_auc.value > result.old_auc.value + 0.1
    assert result.new_auc.low > result.old_auc.high  # intervals apart
    assert max(result.new_weights, key=result.new_weights.__getitem__) == "usage"
    assert sum(result.new_weights.values()) == pytest.approx(1.0)
    assert all(weight >= 0 for weight in result.new_weights.values())


def test_calibrate_refuses_too_few_outcomes() -> None:
    few = synthetic_base(60, 5)
    with pytest.raises(TooFewOutcomes, match="too few outcomes to conclude"):
        calibrate(few, OLD_WEIGHTS)


def test_calibrated_model_file_loads_in_health() -> None:
    old = default_model()
    weights = {group: 1.0 / len(old.groups) for group in old.groups}
    weights["usage"] = 0.5
    version = new_version(old.version, "2026-12-01")
    text = calibrated_model_text(default_model_text(), weights, version, ["a header"])
    assert text.startswith("# a header\n")
    model = load_model(text)
    assert model.version == f"{old.version}+cal.2026-12-01"
    assert model.groups["usage"].weight == 0.5
    assert model.segment_weights == {}
    assert [m.name for m in model.measures] == [m.name for m in old.measures]
    assert [m.scoring for m in model.measures] == [m.scoring for m in old.measures]
    assert model.bands == old.bands


def test_new_version_fits_the_64_characters_health_allows() -> None:
    version = new_version("v" * 80, "2026-12-01")
    assert len(version) == 64
    assert version.endswith("+cal.2026-12-01")
