"""Model validation of what a measure may read, filter, aggregate and over which window."""

from __future__ import annotations

import pytest

from pulse.health.scoring.model import load_model

from .model_texts import BASE, errors_of, with_measure


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


def test_events_per_distinct_value_reads_kept_distinct_values_unfiltered() -> None:
    text = with_measure("""
        name: per_user
        group: usage
        description: d
        reads: [{type: usage.activity}, {type: support.ticket.opened, where: {channel: phone}}]
        aggregation: {kind: per_distinct, field: user_id}
        window_days: 28
        scoring: {log: [[1, 0], [100, 100]]}
    """)
    assert errors_of(text) == [
        (
            "measures[1].aggregation.field",
            "distinct values of support.ticket.opened.user_id are not kept; they are of: "
            "usage.activity.user_id, usage.activity.feature",
        ),
        ("measures[1].reads[1].where", "a distinct count cannot be filtered; remove where"),
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


def test_unknown_aggregation_kind_lists_the_kinds() -> None:
    (path, message), *rest = errors_of(BASE.replace("{kind: count}", "{kind: cnt}"))
    assert rest == []
    assert path == "measures[0].aggregation"
    assert "'cnt'" in message
    assert "'trend_ratio'" in message


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
