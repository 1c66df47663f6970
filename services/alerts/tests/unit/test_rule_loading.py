"""Rules files: each kind loads, and every problem is reported with its path."""

from __future__ import annotations

import textwrap
from datetime import timedelta

import pytest

from pulse.alerts.rules.definitions import (
    AbsenceRule,
    BandRule,
    CountRule,
    MatchRule,
    RenewalRule,
    ScoreBelowRule,
    ScoreDropRule,
    SumRule,
)
from pulse.alerts.rules.loading import RuleError, load_rules

HEAD = 'version: "1"\nrules:\n'


def rules_text(*rules: str) -> str:
    """A rules file holding each YAML mapping in `rules` as a list item."""
    body = ""
    for rule in rules:
        lines = textwrap.dedent(rule).strip().splitlines()
        body += "  - " + lines[0] + "\n" + "".join(f"    {line}\n" for line in lines[1:])
    return HEAD + body


PHONE = """
    id: phone_tickets
    name: Phone calls
    kind: count
    severity: warning
    noun: phone calls to support
    event: support.ticket.opened
    where: {field: channel, equals: phone}
    at_least: 3
    window: 14d
"""


def errors_of(text: str) -> list[tuple[str, str]]:
    with pytest.raises(RuleError) as raised:
        load_rules(text)
    return raised.value.errors


def test_count_rule_loads_with_its_window_and_defaults() -> None:
    rule = load_rules(rules_text(PHONE)).rules[0]
    assert isinstance(rule, CountRule)
    assert (rule.at_least, rule.window) == (3, timedelta(days=14))
    assert (rule.for_, rule.keep_firing_for, rule.cooldown) == (timedelta(0),) * 3
    assert rule.segments is None
    assert rule.owners is None
    assert rule.playbook is None


def test_every_kind_and_the_shared_timing_load() -> None:
    text = rules_text(
        """
        id: big_spend
        name: Big overdue
        kind: sum
        severity: critical
        noun: overdue
        event: invoice.overdue
        field: amount
        at_least: 10000.5
        window: 36h
        for: 30m
        keep_firing_for: 2h
        cooldown: 7d
        segments: [high_touch, low_touch]
        owners: [dana]
        playbook: collections
        """,
        """
        id: quiet
        name: Quiet
        kind: absence
        severity: info
        noun: product usage
        event: usage.activity
        silence: 14d
        """,
        """
        id: left
        name: Left
        kind: match
        severity: critical
        noun: key contact left
        event: contact.changed
        where:
          any:
            - {field: role, in: [sponsor, champion]}
            - all: [{field: change, equals: left}, {field: role, equals: executive}]
        """,
    )
    sum_rule, absence, match = load_rules(text).rules
    assert isinstance(sum_rule, SumRule)
    assert (sum_rule.field, sum_rule.at_least, sum_rule.window) == (
        "amount",
        10000.5,
        timedelta(hours=36),
    )
    assert (sum_rule.for_, sum_rule.keep_firing_for, sum_rule.cooldown) == (
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(days=7),
    )
    assert sum_rule.applies_to("high_touch", "dana")
    assert not sum_rule.applies_to("tech_touch", "dana")
    assert not sum_rule.applies_to("high_touch", "lee")
    assert isinstance(absence, AbsenceRule)
    assert absence.silence == timedelta(days=14)
    assert isinstance(match, MatchRule)
    assert match.lasts == timedelta(days=1)


def test_duplicate_ids_point_at_the_second() -> None:
    assert errors_of(rules_text(PHONE, PHONE)) == [
        ("rules[1].id", "duplicate rule id 'phone_tickets' (also rules[0])")
    ]


def test_unknown_event_type_lists_the_types() -> None:
    (path, message), *_ = errors_of(rules_text(PHONE.replace("support.ticket.opened", "ticket")))
    assert path == "rules[0].event"
    assert message.startswith("unknown event type 'ticket'; types are account.signal,")


def test_unknown_filter_field_names_the_nested_path_and_the_fields() -> None:
    text = rules_text(
        PHONE.replace(
            "where: {field: channel, equals: phone}",
            "where: {all: [{field: channel, equals: phone}, {field: chanel, equals: x}]}",
        )
    )
    assert errors_of(text) == [
        (
            "rules[0].where.all[1].field",
            "unknown field 'chanel' of support.ticket.opened; "
            "fields are ticket_id, priority, channel",
        )
    ]


def test_comparisons_and_sums_need_numeric_fields() -> None:
    compared = rules_text(PHONE.replace("equals: phone", "gt: 2"))
    assert errors_of(compared) == [
        (
            "rules[0].where.field",
            "'channel' of support.ticket.opened is not a number; numeric fields are none",
        )
    ]
    summed = rules_text(
        PHONE.replace("kind: count", "kind: sum\n    field: ticket_id")
        .replace("event: support.ticket.opened", "event: invoice.overdue")
        .replace("    where: {field: channel, equals: phone}\n", "")
    )
    assert errors_of(summed) == [
        (
            "rules[0].field",
            "'ticket_id' of invoice.overdue is not a number; "
            "numeric fields are days_overdue, amount",
        )
    ]


def test_structure_errors_name_each_path() -> None:
    text = rules_text(
        PHONE.replace("window: 14d", "window: 2w\n    for: -1d\n    colour: red").replace(
            "severity: warning", "severity: loud"
        ),
        """
        id: Bad-Id
        kind: nonsense
        """,
        """
        id: nokind
        """,
    )
    assert errors_of(text) == [
        ("rules[0].severity", "Input should be 'info', 'warning' or 'critical'"),
        ("rules[0].for", "expected a duration such as 14d, 12h, 30m or 0s, got '-1d'"),
        ("rules[0].window", "expected a duration such as 14d, 12h, 30m or 0s, got '2w'"),
        ("rules[0].colour", "unknown field"),
        (
            "rules[1].kind",
            "unknown kind; kinds are absence, band, count, match, renewal, score_below, "
            "score_drop, sum",
        ),
        ("rules[2].kind", "field required"),
    ]


def test_filter_shape_errors_name_the_node() -> None:
    both = rules_text(
        PHONE.replace(
            "{field: channel, equals: phone}", "{field: channel, any: [{field: x, gt: 1}]}"
        )
    )
    assert errors_of(both) == [("rules[0].where", "expected exactly one of field, all or any")]
    bare = rules_text(PHONE.replace("{field: channel, equals: phone}", "{field: channel}"))
    assert errors_of(bare) == [
        ("rules[0].where", "a field test needs one of equals, in, gt, gte, lt or lte")
    ]


def test_empty_windows_are_refused() -> None:
    assert errors_of(rules_text(PHONE.replace("14d", "0s"))) == [
        ("rules[0].window", "must be longer than 0s")
    ]


def test_durations_over_ten_years_are_refused() -> None:
    assert errors_of(rules_text(PHONE.replace("14d", "4000d"))) == [
        ("rules[0].window", "expected at most 3650 days, got '4000d'")
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected a mapping with version and rules, got nothing"),
        ("[1, 2]", "expected a mapping with version and rules, got list"),
        ("a: [", "not valid YAML: did not find expected node content at line 2, column 1"),
    ],
)
def test_files_that_are_not_rule_mappings(text: str, message: str) -> None:
    ((path, got),) = errors_of(text)
    assert path == ""
    assert got.startswith(message)


def test_alias_bombs_are_refused_before_validation() -> None:
    bomb = "a: &a [" + ", ".join(["x"] * 10) + "]\n"
    for level in "bcdefg":
        previous = chr(ord(level) - 1)
        bomb += f"{level}: &{level} [" + ", ".join([f"*{previous}"] * 10) + "]\n"
    assert errors_of(bomb) == [("", "expected at most 100,000 values (each alias counted again)")]


def test_the_score_kinds_load_without_event_or_where() -> None:
    text = rules_text(
        """
        id: red
        name: Red
        kind: band
        severity: critical
        noun: health band red
        bands: [red]
        """,
        """
        id: low
        name: Low
        kind: score_below
        severity: warning
        noun: low health score
        below: 40.5
        """,
        """
        id: drop
        name: Drop
        kind: score_drop
        severity: warning
        noun: health score drop
        points: 20
        within: 30d
        for: 1d
        """,
        """
        id: renewal
        name: Renewal
        kind: renewal
        severity: critical
        noun: renewal at risk
        within: 90d
        segments: [high_touch]
        """,
    )
    band, below, drop, renewal = load_rules(text).rules
    assert isinstance(band, BandRule)
    assert band.bands == ["red"]
    assert isinstance(below, ScoreBelowRule)
    assert below.below == 40.5
    assert isinstance(drop, ScoreDropRule)
    assert (drop.points, drop.within, drop.for_) == (20, timedelta(days=30), timedelta(days=1))
    assert isinstance(renewal, RenewalRule)
    assert (renewal.within, renewal.bands) == (timedelta(days=90), ["yellow", "red"])
    assert renewal.applies_to("high_touch", None)


def test_score_kind_fields_are_checked_with_their_paths() -> None:
    text = rules_text(
        """
        id: red
        name: Red
        kind: band
        severity: critical
        noun: health band red
        bands: [red, crimson]
        event: usage.activity
        """,
        """
        id: repeated
        name: Repeated
        kind: band
        severity: critical
        noun: health band red
        bands: [red, yellow, red]
        """,
        """
        id: low
        name: Low
        kind: score_below
        severity: warning
        noun: low health score
        below: 0
        """,
        """
        id: drop
        name: Drop
        kind: score_drop
        severity: warning
        noun: health score drop
        points: 101
        """,
        """
        id: renewal
        name: Renewal
        kind: renewal
        severity: critical
        noun: renewal at risk
        within: 90d
        bands: []
        where: {field: plan, equals: gold}
        """,
    )
    assert errors_of(text) == [
        ("rules[0].bands[1]", "Input should be 'green', 'yellow' or 'red'"),
        ("rules[0].event", "unknown field"),
        ("rules[1].bands", "expected each band once, got red more than once"),
        ("rules[2].below", "Input should be greater than 0"),
        ("rules[3].points", "Input should be less than or equal to 100"),
        ("rules[3].within", "field required"),
        ("rules[4].bands", "List should have at least 1 item after validation, not 0"),
        ("rules[4].where", "unknown field"),
    ]


def test_score_kind_durations_must_be_longer_than_0s() -> None:
    drop = """
        id: drop
        name: Drop
        kind: score_drop
        severity: warning
        noun: health score drop
        points: 20
        within: 0s
    """
    renewal = """
        id: renewal
        name: Renewal
        kind: renewal
        severity: critical
        noun: renewal at risk
        within: 0s
    """
    assert errors_of(rules_text(drop, renewal, PHONE)) == [
        ("rules[0].within", "must be longer than 0s"),
        ("rules[1].within", "must be longer than 0s"),
    ]
