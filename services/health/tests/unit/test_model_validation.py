"""Model validation errors with actionable paths: groups, weights, bands, scoring, YAML."""

from __future__ import annotations

from pulse.health.scoring.model import ModelError

from .model_texts import BASE, errors_of, with_measure


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


def test_scoring_must_be_steps_linear_or_log() -> None:
    text = BASE.replace("{steps: [{min: 0, score: 100}, {min: 5, score: 0}]}", "{points: []}")
    assert errors_of(text) == [
        (
            "measures[0].scoring",
            "expected {steps: [{min, score}, ...]}, {linear: [[value, score], ...]} "
            "or {log: [[value, score], ...]}",
        )
    ]


def test_log_points_must_be_above_zero_and_sorted() -> None:
    text = BASE.replace(
        "{steps: [{min: 0, score: 100}, {min: 5, score: 0}]}", "{log: [[0, 100], [5, 50], [4, 0]]}"
    )
    assert errors_of(text) == [
        ("measures[0].scoring.log[0][0]", "0 has no logarithm; log points need values above 0"),
        (
            "measures[0].scoring.log[2][0]",
            "4 is not above the previous point's value 5; sort points by value, ascending",
        ),
    ]


def test_never_sent_drop_needs_reads() -> None:
    text = BASE + (
        "  - {name: mood, group: support, description: d, never_sent: drop,\n"
        "     aggregation: {kind: manual}, scoring: {linear: [[0, 0], [100, 100]]}}\n"
    )
    assert ("measures[1].never_sent", "drop needs reads: it looks for events of their types") in (
        errors_of(text)
    )


def test_unknown_fields_and_missing_fields_are_named() -> None:
    text = BASE.replace("window_days: 30", "windw_days: 30").replace(
        "    description: Tickets opened in 30 days.\n", ""
    )
    assert errors_of(text) == [
        ("measures[0].description", "field required"),
        ("measures[0].windw_days", "unknown field"),
    ]


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
        ("", "not valid YAML: did not find expected ',' or ']' at line 2, column 7")
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
