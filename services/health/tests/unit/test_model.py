"""The scoring model file: validation with actionable paths, scoring functions, defaults."""

from __future__ import annotations

import textwrap
from importlib import resources

import pytest
import yaml

from pulse.health.scoring.functions import LinearScoring, Step, StepScoring
from pulse.health.scoring.model import (
    ModelError,
    ScoringModel,
    default_model,
    default_model_text,
    load_model,
)

BASE = """
version: "test-1"
groups:
  usage: {weight: 1}
  support: {weight: 1}
measures:
  - name: tickets_30d
    group: support
    description: Tickets opened in 30 days.
    reads: [{type: support.ticket.opened}]
    aggregation: {kind: count}
    window_days: 30
    scoring: {steps: [{min: 0, score: 100}, {min: 5, score: 0}]}
"""


def with_measure(measure: str) -> str:
    """BASE plus one more measure, given as YAML mapping lines."""
    first, *rest = textwrap.dedent(measure).strip().splitlines()
    return BASE + f"  - {first}\n" + "".join(f"    {line}\n" for line in rest)


def errors_of(text: str) -> list[tuple[str, str]]:
    with pytest.raises(ModelError) as raised:
        load_model(text)
    return raised.value.errors


def test_base_model_loads_with_defaults() -> None:
    model = load_model(BASE)
    assert model.version == "test-1"
    assert (model.bands.green, model.bands.yellow) == (70.0, 40.0)
    assert model.segmentation.high_touch_min_arr == 500_000.0
    assert model.segmentation.low_touch_min_arr == 50_000.0
    assert model.measures[0].missing == "drop"
    assert (model.measures[0].neutral_score, model.measures[0].penalty_score) == (50.0, 0.0)


def test_unknown_group_names_the_path_and_the_groups() -> None:
    text = BASE.replace("group: support", "group: suport")
    assert errors_of(text) == [
        ("measures[0].group", "unknown group 'suport'; groups are usage, support")
    ]


def test_duplicate_measure_names_point_at_the_second() -> None:
    text = with_measure(
        """
        name: tickets_30d
        group: support
        description: Again.
        reads: [{type: support.ticket.opened}]
        aggregation: {kind: count}
        window_days: 14
        scoring: {steps: [{min: 0, score: 100}]}
        """
    )
    assert errors_of(text) == [
        ("measures[1].name", "duplicate measure name 'tickets_30d' (also measures[0])")
    ]


def test_unsorted_steps_name_the_step() -> None:
    text = BASE.replace(
        "{steps: [{min: 0, score: 100}, {min: 5, score: 0}]}",
        "{steps: [{min: 0, score: 100}, {min: 5, score: 50}, {min: 5, score: 0}]}",
    )
    assert errors_of(text) == [
        (
            "measures[0].scoring.steps[2].min",
            "5 is not above the previous step's min 5; sort steps by min, ascending",
        )
    ]


def test_unsorted_linear_points_name_the_point() -> None:
    text = BASE.replace(
        "{steps: [{min: 0, score: 100}, {min: 5, score: 0}]}", "{linear: [[3, 100], [1, 0]]}"
    )
    assert errors_of(text) == [
        (
            "measures[0].scoring.linear[1][0]",
            "1 is not above the previous point's value 3; sort points by value, ascending",
        )
    ]


def test_scores_above_100_are_refused_with_the_union_tag_left_out() -> None:
    text = BASE.replace("{min: 5, score: 0}", "{min: 5, score: 120}")
    assert errors_of(text) == [
        ("measures[0].scoring.steps[1].score", "Input should be less than or equal to 100")
    ]


def test_scoring_must_be_steps_or_linear() -> None:
    text = BASE.replace("{steps: [{min: 0, score: 100}, {min: 5, score: 0}]}", "{points: []}")
    assert errors_of(text) == [
        (
            "measures[0].scoring",
            "expected {steps: [{min, score}, ...]} or {linear: [[value, score], ...]}",
        )
    ]


def test_a_windowed_aggregation_needs_a_window() -> None:
    text = BASE.replace("    window_days: 30\n", "")
    assert errors_of(text) == [("measures[0].window_days", "required for aggregation count")]


def test_a_window_on_an_aggregation_without_one_is_refused() -> None:
    text = BASE.replace("{kind: count}", "{kind: open_count}")
    assert errors_of(text) == [
        ("measures[0].window_days", "aggregation open_count has no window; remove it")
    ]


def test_a_window_longer_than_the_state_keeps_is_refused() -> None:
    text = BASE.replace("window_days: 30", "window_days: 120")
    assert errors_of(text) == [
        (
            "measures[0].window_days",
            "the window (120 days) is longer than the 90 days the state keeps of "
            "support.ticket.opened",
        )
    ]


def test_a_trend_longer_than_the_state_keeps_is_refused() -> None:
    text = with_measure(
        """
        name: trend
        group: usage
        description: Usage trend.
        reads: [{type: usage.activity}]
        aggregation: {kind: trend_ratio, short_days: 30, baseline_days: 90}
        scoring: {linear: [[0, 0], [1, 100]]}
        """
    )
    assert errors_of(text) == [
        (
            "measures[1].aggregation.baseline_days",
            "short_days + baseline_days (120 days) is longer than the 90 days the state "
            "keeps of usage.activity",
        )
    ]


def test_unknown_event_type_lists_the_known_ones() -> None:
    (path, message), *rest = errors_of(BASE.replace("support.ticket.opened", "support.tiket"))
    assert rest == []
    assert path == "measures[0].reads[0].type"
    assert message.startswith("unknown event type 'support.tiket'; expected one of ")
    assert "support.ticket.opened" in message


def test_filter_on_an_attribute_not_kept_is_refused() -> None:
    text = BASE.replace(
        "[{type: support.ticket.opened}]", "[{type: support.ticket.opened, where: {colour: red}}]"
    )
    assert errors_of(text) == [
        (
            "measures[0].reads[0].where.colour",
            "support.ticket.opened cannot be filtered on 'colour'; it can on: priority, channel",
        )
    ]


def test_filter_values_must_be_known() -> None:
    text = BASE.replace(
        "[{type: support.ticket.opened}]",
        "[{type: support.ticket.opened, where: {priority: [urgent, urgnet]}}]",
    )
    assert errors_of(text) == [
        (
            "measures[0].reads[0].where.priority",
            "'urgnet' is not a priority; expected one of low, normal, high, urgent",
        )
    ]


def test_an_empty_filter_is_refused() -> None:
    text = BASE.replace(
        "[{type: support.ticket.opened}]", "[{type: support.ticket.opened, where: {channel: []}}]"
    )
    assert errors_of(text) == [
        ("measures[0].reads[0].where.channel", "expected at least one value")
    ]


def test_boolean_filters_may_be_written_as_yaml_booleans() -> None:
    text = with_measure(
        """
        name: exec_meetings
        group: support
        description: Executive meetings.
        reads: [{type: engagement.touchpoint, where: {with_executive: true}}]
        aggregation: {kind: count}
        window_days: 90
        scoring: {steps: [{min: 0, score: 0}, {min: 1, score: 100}]}
        """
    )
    assert load_model(text).measures[1].reads[0].where == {"with_executive": "true"}


def test_sum_of_a_type_without_a_value_is_refused() -> None:
    text = BASE.replace("{kind: count}", "{kind: sum}")
    assert errors_of(text) == [
        (
            "measures[0].reads[0].type",
            "support.ticket.opened carries no value to sum, average or take",
        )
    ]


def test_distinct_count_of_a_field_not_kept_is_refused() -> None:
    text = BASE.replace("{kind: count}", "{kind: distinct_count, field: ticket_id}")
    assert errors_of(text) == [
        (
            "measures[0].aggregation.field",
            "distinct values of support.ticket.opened.ticket_id are not kept; they are of: "
            "usage.activity.user_id, usage.activity.feature",
        )
    ]


def test_weights_must_name_a_dimension_and_its_values() -> None:
    text = BASE.replace(
        "{kind: count}", "{kind: count, weights: {field: priority, values: {urgnet: 3}}}"
    )
    assert errors_of(text) == [
        (
            "measures[0].aggregation.weights.values.urgnet",
            "'urgnet' is not a priority; expected one of low, normal, high, urgent",
        )
    ]


def test_account_updated_is_not_countable() -> None:
    text = BASE.replace("support.ticket.opened", "account.updated")
    assert errors_of(text) == [
        (
            "measures[0].reads[0].type",
            "account.updated is read as account attributes (segment, arr, licensed_seats ...), "
            "not as events; use ratio_to_attribute",
        )
    ]


def test_invoice_aggregations_read_invoices_only() -> None:
    text = BASE.replace("{kind: count}", "{kind: max_days_overdue}").replace(
        "    window_days: 30\n", ""
    )
    assert errors_of(text) == [
        (
            "measures[0].reads[0].type",
            "aggregation max_days_overdue reads invoice.issued, invoice.paid, invoice.overdue, "
            "not support.ticket.opened",
        )
    ]


def test_manual_measures_read_no_events() -> None:
    text = BASE.replace("{kind: count}", "{kind: manual}")
    assert errors_of(text) == [
        ("measures[0].reads", "a manual measure reads no events (the API sets it); remove reads")
    ]


def test_unknown_fields_and_missing_fields_are_named() -> None:
    text = BASE.replace("window_days: 30", "windw_days: 30").replace(
        "    description: Tickets opened in 30 days.\n", ""
    )
    assert errors_of(text) == [
        ("measures[0].description", "field required"),
        ("measures[0].windw_days", "unknown field"),
    ]


def test_unknown_aggregation_kind_lists_the_kinds() -> None:
    (path, message), *rest = errors_of(BASE.replace("{kind: count}", "{kind: cnt}"))
    assert rest == []
    assert path == "measures[0].aggregation"
    assert "'cnt'" in message
    assert "'trend_ratio'" in message


def test_negative_and_all_zero_weights_are_refused() -> None:
    negative = BASE.replace("usage: {weight: 1}", "usage: {weight: -1}")
    assert errors_of(negative) == [
        ("groups.usage.weight", "Input should be greater than or equal to 0")
    ]
    zero = BASE.replace("support: {weight: 1}", "support: {weight: 0}")
    assert errors_of(zero) == [
        (
            "groups",
            f"every group with measures weighs 0 for {segment}; give one a weight > 0",
        )
        for segment in ("high_touch", "low_touch", "tech_touch")
    ]


def test_segment_weights_name_known_segments_and_groups() -> None:
    text = BASE + "segment_weights:\n  high_touch: {suport: 2}\n  mid_touch: {usage: 1}\n"
    errors = errors_of(text)
    assert errors[0][0] == "segment_weights.mid_touch.[key]"
    assert "'high_touch', 'low_touch' or 'tech_touch'" in errors[0][1]
    text = BASE + "segment_weights:\n  high_touch: {suport: 2}\n"
    assert errors_of(text) == [
        ("segment_weights.high_touch.suport", "unknown group 'suport'; groups are usage, support")
    ]


def test_bands_and_segment_thresholds_must_be_ordered() -> None:
    text = BASE + "bands: {green: 40, yellow: 60}\nsegmentation: {low_touch_min_arr: 900000}\n"
    assert errors_of(text) == [
        ("bands.yellow", "must be below bands.green (40)"),
        (
            "segmentation.low_touch_min_arr",
            "must be below segmentation.high_touch_min_arr (500000)",
        ),
    ]


def test_several_problems_are_reported_together() -> None:
    text = BASE.replace("group: support", "group: suport").replace("window_days: 30", "")
    errors = errors_of(text.replace("    \n", ""))
    assert [path for path, _ in errors] == ["measures[0].group", "measures[0].window_days"]


def test_yaml_syntax_errors_say_where() -> None:
    assert errors_of("version: [1\ngroups: {}\n") == [
        ("", "not valid YAML: expected ',' or ']', but got ':' at line 2, column 7")
    ]


def test_a_model_must_be_a_mapping() -> None:
    assert errors_of("- a\n- b\n") == [
        ("", "expected a mapping with version, groups and measures, got list")
    ]
    assert errors_of("") == [
        ("", "expected a mapping with version, groups and measures, got nothing")
    ]


def test_model_error_reads_as_one_line_per_problem() -> None:
    error = ModelError([("measures[0].group", "unknown group 'x'"), ("", "bad")])
    assert str(error) == "measures[0].group: unknown group 'x'; (top): bad"


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


def test_bands() -> None:
    bands = load_model(BASE).bands
    assert [bands.band(s) for s in (100, 70, 69.9, 40, 39.9, 0)] == [
        "green", "green", "yellow", "yellow", "red", "red",
    ]  # fmt: skip


def test_default_model_loads_and_covers_every_signal() -> None:
    model = default_model()
    assert isinstance(model, ScoringModel)
    assert len(model.measures) == 19
    assert all(m.description.strip() for m in model.measures)
    kinds = {m.aggregation.kind for m in model.measures}
    assert kinds == {
        "ratio_to_attribute", "distinct_count", "trend_ratio", "count", "open_count",
        "max_days_overdue", "overdue_amount_ratio", "days_since_last", "latest", "average",
        "manual",
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


@pytest.mark.parametrize(
    ("replace", "by", "error"),
    [
        (
            "reads: [{type: support.ticket.opened}]",
            "reads: []",
            ("measures[0].reads", "aggregation count needs at least one read"),
        ),
        (
            "window_days: 30",
            "window_days: 0",
            ("measures[0].window_days", "expected at least 1 day, got 0"),
        ),
        (
            "reads: [{type: support.ticket.opened}]\n    aggregation: {kind: count}\n"
            "    window_days: 30",
            "reads: [{type: survey.response}]\n    aggregation: {kind: latest}\n"
            "    window_days: 4000",
            ("measures[0].window_days", "expected at most 3650 days"),
        ),
        (
            "reads: [{type: support.ticket.opened}]\n    aggregation: {kind: count}\n"
            "    window_days: 30",
            "reads: [{type: support.ticket.opened}, {type: invoice.issued}]\n"
            "    aggregation: {kind: open_count}",
            ("measures[0].reads", "read either tickets or invoices, not both"),
        ),
        (
            "reads: [{type: support.ticket.opened}]\n    aggregation: {kind: count}",
            "reads: [{type: usage.activity, where: {feature: x}}]\n"
            "    aggregation: {kind: distinct_count, field: user_id}",
            ("measures[0].reads[0].where", "a distinct count cannot be filtered; remove where"),
        ),
        (
            "reads: [{type: support.ticket.opened}]\n    aggregation: {kind: count}",
            "reads: [{type: usage.activity}]\n"
            "    aggregation: {kind: ratio_to_attribute, of: distinct_count, "
            "attribute: licensed_seats}",
            (
                "measures[0].aggregation.field",
                "required: the field whose distinct values to count",
            ),
        ),
        (
            "reads: [{type: support.ticket.opened}]\n    aggregation: {kind: count}\n"
            "    window_days: 30",
            "aggregation: {kind: manual, values: {green: 1}}",
            ("measures[0].aggregation.values", "needs a value for yellow, red"),
        ),
        (
            "aggregation: {kind: count}",
            "aggregation: {kind: count, weights: {field: severity, values: {major: 2}}}",
            (
                "measures[0].aggregation.weights.field",
                "support.ticket.opened events are not kept by 'severity'",
            ),
        ),
        (
            "reads: [{type: support.ticket.opened}]\n    aggregation: {kind: count}",
            "reads: [{type: usage.activity}]\n    aggregation: {kind: sum, field: amount}",
            (
                "measures[0].aggregation.field",
                "'amount' is not kept for usage.activity; its value field is 'quantity' "
                "(or leave field out to use each type's value field)",
            ),
        ),
        (
            "reads: [{type: support.ticket.opened}]\n    aggregation: {kind: count}\n"
            "    window_days: 30",
            "reads: [{type: invoice.issued, where: {currency: EUR}}]\n"
            "    aggregation: {kind: open_amount}",
            (
                "measures[0].reads[0].where.currency",
                "invoice.issued cannot be filtered on 'currency'; it can on: nothing",
            ),
        ),
    ],
)
def test_what_a_measure_may_read_is_checked(replace: str, by: str, error: tuple[str, str]) -> None:
    assert replace in BASE
    assert errors_of(BASE.replace(replace, by)) == [error]
