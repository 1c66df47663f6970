"""Property tests that each mistake in an event's fields is rejected at exactly its path."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pulse.common.events import EVENT_TYPES, SURVEY_SCORE_RANGE, SurveyKind

from .event_fields import DATA, ENVELOPE, FieldSpec, data_fields, nullable
from .event_rejections import NON_OBJECTS, put, rejected, rejected_paths
from .event_strategies import any_valid_event, valid_events
from .event_values import odd_case

# --- helpers ----------------------------------------------------------------------------------


def type_of(raw: dict[str, Any]) -> str:
    event_type = raw["type"].strip().lower()
    assert event_type in EVENT_TYPES
    return str(event_type)


def field_paths(event_type: str) -> list[str]:
    """Every field path of one type but `type` and `data`, in the order errors are reported."""
    return [*ENVELOPE, *(f"data.{name}" for name in data_fields(event_type))]


def spec_at(event_type: str, path: str) -> FieldSpec:
    if path.startswith("data."):
        return DATA[event_type].fields[path.removeprefix("data.")]
    return ENVELOPE[path]


def may_be_null(event_type: str, path: str) -> bool:
    if path.startswith("data."):
        return nullable(event_type, path.removeprefix("data."))
    return path in {"id", "source"}


def drop(raw: dict[str, Any], path: str) -> None:
    if path.startswith("data."):
        raw["data"].pop(path.removeprefix("data."), None)
    else:
        raw.pop(path, None)


# --- rejections -------------------------------------------------------------------------------

REQUIRED = [
    (event_type, path)
    for event_type in EVENT_TYPES
    for path in (
        "type",
        "account_id",
        "occurred_at",
        "data",
        *(f"data.{name}" for name in DATA[event_type].required),
    )
]
FIELDS = [(event_type, path) for event_type in EVENT_TYPES for path in field_paths(event_type)]
RANGED = [
    (event_type, path)
    for event_type, path in FIELDS
    if spec_at(event_type, path).out_of_range is not None
]


@settings(max_examples=75, deadline=None)
@given(data=st.data())
def test_a_missing_required_field_is_reported_at_its_path(data: st.DataObject) -> None:
    event_type, path = data.draw(st.sampled_from(REQUIRED))
    raw = data.draw(valid_events(event_type))
    drop(raw, path)
    errors = rejected(raw)
    assert [error.path for error in errors] == [path]
    if path != "type":
        assert errors[0].message == "field required"


@settings(max_examples=75, deadline=None)
@given(
    raw=any_valid_event(),
    name=st.text(min_size=1, max_size=20),
    value=NON_OBJECTS,
    nested=st.booleans(),
)
def test_an_unknown_field_is_reported_at_its_name(
    raw: dict[str, Any], name: str, value: object, nested: bool
) -> None:
    known = DATA[type_of(raw)].fields if nested else [*ENVELOPE, "type", "data"]
    assume(name not in known)
    (raw["data"] if nested else raw)[name] = value
    errors = rejected(raw)
    assert [error.path for error in errors] == [f"data.{name}" if nested else name]
    assert errors[0].message.startswith(f"unknown field {name!r}")


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_a_value_of_the_wrong_json_type_is_reported_at_its_path(data: st.DataObject) -> None:
    event_type, path = data.draw(st.sampled_from(FIELDS))
    wrong = spec_at(event_type, path).wrong_type
    if not may_be_null(event_type, path):
        wrong = st.one_of(st.none(), wrong)
    raw = data.draw(valid_events(event_type))
    put(raw, path, data.draw(wrong))
    assert rejected_paths(raw) == [path]


@settings(max_examples=25, deadline=None)
@given(raw=any_valid_event(), bad=NON_OBJECTS)
def test_data_that_is_no_object_is_reported_at_data(raw: dict[str, Any], bad: object) -> None:
    raw["data"] = bad
    assert rejected_paths(raw) == ["data"]


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_an_out_of_range_value_is_reported_at_its_path(data: st.DataObject) -> None:
    event_type, path = data.draw(st.sampled_from(RANGED))
    out_of_range = spec_at(event_type, path).out_of_range
    assert out_of_range is not None
    bad = data.draw(out_of_range)
    raw = data.draw(valid_events(event_type))
    put(raw, path, bad)
    expected = f"{path}.{len(bad) - 1}" if isinstance(bad, list) else path  # the bad list item
    assert rejected_paths(raw) == [expected]


@settings(max_examples=50, deadline=None)
@given(data=st.data(), kind=st.sampled_from(list(SurveyKind)))
def test_a_survey_score_outside_the_range_of_its_kind_is_rejected(
    data: st.DataObject, kind: SurveyKind
) -> None:
    low, high = SURVEY_SCORE_RANGE[kind]
    score = data.draw(st.one_of(st.integers(-(2**63), low - 1), st.integers(high + 1, 2**63)))
    raw = data.draw(valid_events("survey.response"))
    raw["data"]["kind"] = data.draw(odd_case(kind.value))
    raw["data"]["score"] = score
    errors = rejected(raw)
    assert [(e.path, e.message) for e in errors] == [
        ("data.score", f"expected a {kind.value} score from {low} to {high}, got {score}")
    ]


@pytest.mark.parametrize(
    ("event_type", "changes", "path"),
    [
        ("support.ticket.resolved", {"csat": 6}, "data.csat"),
        ("support.ticket.resolved", {"csat": 0}, "data.csat"),
        ("support.ticket.resolved", {"csat": "5"}, "data.csat"),
        ("survey.response", {"kind": "nps", "score": 11}, "data.score"),
        ("survey.response", {"kind": "NPS", "score": -1}, "data.score"),
        ("survey.response", {"kind": "csat", "score": 6}, "data.score"),
        ("survey.response", {"kind": "ces", "score": 8}, "data.score"),
        ("survey.response", {"kind": "nps", "score": "9"}, "data.score"),
        ("survey.response", {"kind": "nps", "score": 9.0}, "data.score"),
        ("survey.response", {"kind": "promoter", "score": 9}, "data.kind"),
        ("invoice.issued", {"amount": "-1"}, "data.amount"),
        ("invoice.issued", {"amount": -0.01}, "data.amount"),
        ("invoice.issued", {"amount": "1.00001"}, "data.amount"),
        ("invoice.issued", {"amount": 0.00001}, "data.amount"),
        ("invoice.issued", {"amount": "NaN"}, "data.amount"),
        ("invoice.issued", {"amount": "1e3"}, "data.amount"),
        ("invoice.issued", {"amount": True}, "data.amount"),
        ("invoice.issued", {"currency": "XYZ"}, "data.currency"),
        ("invoice.issued", {"currency": " xyz "}, "data.currency"),
        ("invoice.issued", {"currency": 978}, "data.currency"),
        ("invoice.issued", {"due_at": "2026-12-01T00:00:00"}, "data.due_at"),
        ("invoice.overdue", {"amount": "-0.5"}, "data.amount"),
        ("invoice.overdue", {"days_overdue": -1}, "data.days_overdue"),
        ("invoice.overdue", {"currency": "XYZ"}, "data.currency"),
        ("account.updated", {"arr": "1.23456"}, "data.arr"),
        ("account.updated", {"currency": "XYZ"}, "data.currency"),
        ("account.updated", {"licensed_seats": 2**31}, "data.licensed_seats"),
        ("account.updated", {"renewal_date": "2027-02-30"}, "data.renewal_date"),
        ("contract.changed", {"arr_after": -1}, "data.arr_after"),
        ("contract.changed", {"arr_before": "12.34567"}, "data.arr_before"),
        ("usage.activity", {"quantity": -1}, "data.quantity"),
        ("usage.activity", {"user_id": 42}, "data.user_id"),
        ("metric.recorded", {"value": "3.5"}, "data.value"),
        ("engagement.touchpoint", {"with_executive": "yes"}, "data.with_executive"),
        (
            "outage.started",
            {"affected_account_ids": ["ok", "not ok"]},
            "data.affected_account_ids.1",
        ),
    ],
)
@settings(max_examples=3, deadline=None)
@given(data=st.data())
def test_named_bad_values_are_reported_at_their_path(
    event_type: str, changes: dict[str, Any], path: str, data: st.DataObject
) -> None:
    raw = data.draw(valid_events(event_type))
    raw["data"].update(changes)
    assert rejected_paths(raw) == [path]


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_every_problem_is_reported_in_field_order(data: st.DataObject) -> None:
    raw = data.draw(any_valid_event())
    event_type = type_of(raw)
    paths = field_paths(event_type)
    broken = data.draw(st.sets(st.sampled_from(paths), min_size=1))
    for path in data.draw(st.permutations(sorted(broken))):
        put(raw, path, data.draw(spec_at(event_type, path).wrong_type))
    assert rejected_paths(raw) == [path for path in paths if path in broken]
