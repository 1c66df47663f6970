"""A loaded scoring model (defaults, fingerprint, weights, scoring, bands) and the shipped one."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from pulse.health.scoring.functions import LinearScoring, LogScoring, Step, StepScoring
from pulse.health.scoring.model import ScoringModel, default_model, default_model_text, load_model

from .model_texts import BASE


def test_base_model_loads_with_defaults() -> None:
    model = load_model(BASE)
    assert model.version == "test-1"
    assert (model.bands.green, model.bands.yellow) == (70.0, 40.0)
    assert model.segmentation.high_touch_min_arr == 500_000.0
    assert model.segmentation.low_touch_min_arr == 50_000.0
    assert model.measures[0].missing == "drop"
    assert (model.measures[0].neutral_score, model.measures[0].penalty_score) == (50.0, 0.0)


def test_fingerprint_is_stable_and_tracks_content() -> None:
    model = load_model(BASE)
    same = load_model(BASE.replace('version: "test-1"', "version: 'test-1'"))
    other = load_model(BASE.replace("min: 5", "min: 6"))
    assert model.fingerprint() == same.fingerprint()
    assert len(model.fingerprint()) == 64
    assert model.fingerprint() != other.fingerprint()


def test_models_are_frozen() -> None:
    model = load_model(BASE)
    with pytest.raises(ValueError, match="frozen"):
        model.version = "x"  # type: ignore[misc]


def test_group_weight_uses_the_segment_override() -> None:
    model = load_model(BASE + "segment_weights:\n  high_touch: {support: 3}\n")
    assert model.group_weight("support", "high_touch") == 3.0
    assert model.group_weight("support", "tech_touch") == 1.0
    assert model.group_weight("usage", "high_touch") == 1.0


def test_step_scoring() -> None:
    steps = StepScoring(
        steps=[Step(min=0, score=100), Step(min=3, score=60), Step(min=6, score=10)]
    )
    assert [steps.score(v) for v in (-1, 0, 2.9, 3, 5, 6, 100)] == [100, 100, 100, 60, 60, 10, 10]


def test_linear_scoring_interpolates_and_clamps() -> None:
    linear = LinearScoring(linear=[(0.0, 0.0), (0.5, 60.0), (1.0, 100.0)])
    assert linear.score(-3) == 0.0
    assert linear.score(0.25) == pytest.approx(30.0)
    assert linear.score(0.5) == 60.0
    assert linear.score(0.75) == pytest.approx(80.0)
    assert linear.score(7) == 100.0


def test_log_scoring_gives_each_doubling_the_same_points() -> None:
    log = LogScoring(log=[(1.0, 0.0), (4.0, 40.0), (64.0, 100.0)])
    assert log.score(0) == 0.0  # at or below the first point: its score
    assert log.score(2) == pytest.approx(20.0)  # one doubling of two from 1 to 4
    assert log.score(8) == pytest.approx(55.0)  # one doubling of four from 4 to 64
    assert log.score(16) == pytest.approx(70.0)
    assert log.score(1_000) == 100.0


def test_default_features_curve_does_not_saturate() -> None:
    features = next(m for m in default_model().measures if m.name == "features_used_30d")
    # log points [10, 75] to [40, 100]: 75 + 25 * ln(1.6) / ln(4) = 83.48 for 16 features,
    # 75 + 25 * ln(2.3) / ln(4) = 90.02 for 23
    assert features.scoring.score(16) == pytest.approx(83.48, abs=0.01)
    assert features.scoring.score(23) == pytest.approx(90.02, abs=0.01)


def test_bands() -> None:
    bands = load_model(BASE).bands
    assert [bands.band(s) for s in (100, 70, 69.9, 40, 39.9, 0)] == [
        "green", "green", "yellow", "yellow", "red", "red",
    ]  # fmt: skip


def test_default_model_loads_and_covers_every_signal() -> None:
    model = default_model()
    assert isinstance(model, ScoringModel)
    assert len(model.measures) == 22
    assert all(m.description.strip() for m in model.measures)
    kinds = {m.aggregation.kind for m in model.measures}
    assert kinds == {
        "ratio_to_attribute", "distinct_count", "trend_ratio", "count", "open_count",
        "max_days_overdue", "overdue_amount_ratio", "days_since_last", "latest", "average",
        "manual", "per_distinct",
    }  # fmt: skip
    assert set(model.groups) == {
        "usage", "support", "reliability", "billing", "relationship", "engagement",
        "sentiment", "marketing", "advocacy", "account_signals",
    }  # fmt: skip


def test_default_model_ships_as_package_data() -> None:
    resource = resources.files("pulse.health.scoring").joinpath("default_model.yaml")
    assert resource.is_file()
    assert resource.read_text(encoding="utf-8") == default_model_text()
    assert yaml.safe_load(default_model_text())["version"] == default_model().version
