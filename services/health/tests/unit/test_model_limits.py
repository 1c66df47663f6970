"""A model's numbers stay within documented finite ranges, and its size within limits:
every problem named by its path."""

from __future__ import annotations

from pulse.health.scoring.model import load_model

from .model_texts import BASE, errors_of, with_measure


def test_huge_weights_are_refused_at_each_path() -> None:
    text = BASE.replace("usage: {weight: 1}", "usage: {weight: 1e308}").replace(
        "support: {weight: 1}", "support: {weight: 1001}"
    )
    text += "segment_weights: {tech_touch: {usage: 1e308}}\n"
    assert errors_of(text) == [
        ("groups.usage.weight", "Input should be less than or equal to 1000"),
        ("groups.support.weight", "Input should be less than or equal to 1000"),
        ("segment_weights.tech_touch.usage", "Input should be less than or equal to 1000"),
    ]


def test_the_largest_weight_is_accepted() -> None:
    model = load_model(BASE.replace("usage: {weight: 1}", "usage: {weight: 1000}"))
    assert model.groups["usage"].weight == 1000


def test_event_weights_of_a_count_are_bounded() -> None:
    text = BASE.replace(
        "aggregation: {kind: count}",
        "aggregation: {kind: count, weights: {field: priority, values: {urgent: 1e300}}}",
    )
    assert errors_of(text) == [
        (
            "measures[0].aggregation.weights.values.urgent",
            "Input should be less than or equal to 1000",
        )
    ]


def test_scoring_points_outside_what_the_measure_produces_are_refused() -> None:
    text = with_measure(
        """
        name: quiet_days
        group: usage
        description: Days since the last activity.
        reads: [{type: usage.activity}]
        aggregation: {kind: days_since_last}
        scoring: {linear: [[-1, 100], [30, 50], [1e308, 0]]}
        """
    ).replace("{min: 5, score: 0}", "{min: 2e9, score: 0}")
    assert errors_of(text) == [
        (
            "measures[0].scoring.steps[1].min",
            "expected 0 to 1e+09 for aggregation count, got 2e+09",
        ),
        (
            "measures[1].scoring.linear[0][0]",
            "expected 0 to 36500 for aggregation days_since_last, got -1",
        ),
        (
            "measures[1].scoring.linear[2][0]",
            "expected 0 to 36500 for aggregation days_since_last, got 1e+308",
        ),
    ]


def test_manual_values_are_finite_and_bounded() -> None:
    text = with_measure(
        """
        name: csm
        group: usage
        description: The CSM's view.
        aggregation: {kind: manual, values: {green: 1e300, yellow: 50, red: 0}}
        scoring: {linear: [[0, 0], [100, 100]]}
        """
    )
    assert errors_of(text) == [
        (
            "measures[1].aggregation.values.green",
            "expected -1e+06 to 1e+06 for aggregation manual, got 1e+300",
        )
    ]
    assert errors_of(text.replace("1e300", ".inf")) == [
        ("measures[1].aggregation.values.green", "Input should be a finite number")
    ]


def test_too_many_measures_are_refused() -> None:
    measure = BASE.split("measures:\n", 1)[1]
    many = "".join(measure.replace("name: tickets_30d", f"name: tickets_{i}") for i in range(257))
    text = BASE.split("measures:\n", 1)[0] + "measures:\n" + many
    assert errors_of(text) == [
        ("measures", "List should have at most 256 items after validation, not 257")
    ]


def test_an_alias_bomb_is_refused_before_validation() -> None:
    lines = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for name, before in zip("bcdef", "abcde", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{before}"] * 10) + "]")
    assert errors_of("\n".join(lines)) == [
        ("", "expected at most 100,000 values (each alias counted again)")
    ]
