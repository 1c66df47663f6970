"""Property tests of the event models (DESIGN §3), for all 16 event types.

Valid input: every raw spelling validates to the canonical event it was drawn from (types and
enum values lower-cased and trimmed, currencies upper-cased, ids trimmed, times in UTC), reads
back from its own JSON, and carries an id derived from its content alone. Invalid input: each
kind of mistake is rejected with a `FieldError` at exactly the path of the mistake.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pulse.common.events import (
    EVENT_MODELS,
    EVENT_TYPES,
    SURVEY_SCORE_RANGE,
    EventValidationError,
    FieldError,
    SurveyKind,
    derive_event_id,
    event_from_json,
    event_to_dict,
    event_to_json,
    validate_event,
)

from .event_strategies import (
    ACCOUNT_ID_CHARS,
    DATA,
    ENVELOPE,
    LATEST,
    NOW,
    TEXT,
    Canonical,
    FieldSpec,
    account_ids,
    any_valid_event,
    canonical_events,
    cases,
    data_default,
    data_fields,
    future_times,
    json_integers,
    naive_timestamps,
    nullable,
    occurrence_times,
    odd_case,
    padded,
    render,
    replacement_values,
    sources,
    timestamp_spellings,
    unparseable_timestamps,
    valid_events,
)

DERIVED_ID = re.compile(r"evt_[0-9a-f]{32}")
#: Envelope fields whose value is part of the content an id is derived from.
CONTENT_FIELDS = ("account_id", "occurred_at", "source")
#: JSON values that are not objects.
NON_OBJECTS = st.recursive(
    st.one_of(
        st.none(), st.booleans(), json_integers, st.floats(allow_nan=False), st.text(max_size=10)
    ),
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=5,
)


# --- helpers ----------------------------------------------------------------------------------


def rejected(raw: object) -> list[FieldError]:
    """The errors `validate_event` rejects `raw` with (each with a message)."""
    with pytest.raises(EventValidationError) as caught:
        validate_event(raw, now=NOW)
    errors = caught.value.errors
    assert errors
    assert all(error.message for error in errors)
    return errors


def rejected_paths(raw: object) -> list[str]:
    return [error.path for error in rejected(raw)]


def type_of(raw: dict[str, Any]) -> str:
    event_type = raw["type"].strip().lower()
    assert event_type in EVENT_TYPES
    return str(event_type)


def expected_data(event: Canonical) -> dict[str, Any]:
    """Every data field's expected value: the canonical one, else the model's default."""
    return {
        name: event.data.get(name, data_default(event.type, name))
        for name in DATA[event.type].fields
    }


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


def put(raw: dict[str, Any], path: str, value: object) -> None:
    """Set a field of a raw event by its path (`account_id`, `data.amount`)."""
    if path.startswith("data."):
        raw["data"][path.removeprefix("data.")] = value
    else:
        raw[path] = value


def drop(raw: dict[str, Any], path: str) -> None:
    if path.startswith("data."):
        raw["data"].pop(path.removeprefix("data."), None)
    else:
        raw.pop(path, None)


# --- valid events -----------------------------------------------------------------------------


@pytest.mark.parametrize("event_type", EVENT_TYPES)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_every_valid_event_validates_and_round_trips(event_type: str, data: st.DataObject) -> None:
    raw = data.draw(valid_events(event_type))
    untouched = copy.deepcopy(raw)
    event = validate_event(raw, now=NOW)
    assert raw == untouched  # validation does not change its input
    assert type(event) is EVENT_MODELS[event_type]
    assert event.type == event_type

    encoded = event_to_json(event)
    assert encoded == orjson.dumps(event_to_dict(event))
    again = event_from_json(encoded, now=NOW)
    assert again == event
    assert again.id == event.id
    assert event_to_json(again) == encoded
    assert event_from_json(encoded.decode(), now=NOW) == event


@settings(max_examples=100, deadline=None)
@given(case=cases())
def test_validation_normalises_to_the_canonical_values(
    case: tuple[Canonical, dict[str, Any]],
) -> None:
    canonical, raw = case
    event = validate_event(raw, now=NOW)

    assert event.type == canonical.type == raw["type"].strip().lower()
    assert event.account_id == canonical.account_id == raw["account_id"].strip()
    assert event.occurred_at == canonical.occurred_at  # the same instant ...
    assert event.occurred_at.tzinfo == UTC  # ... in UTC
    assert event.occurred_at.utcoffset() == timedelta(0)
    assert event.occurred_at <= LATEST
    assert event.source == canonical.source
    if canonical.id is None:
        assert DERIVED_ID.fullmatch(event.id)
    else:
        assert event.id == canonical.id == raw["id"].strip()

    spec = DATA[canonical.type]
    expected = expected_data(canonical)
    actual = {name: getattr(event.data, name) for name in expected}
    assert actual == expected
    for name, value in actual.items():
        assert type(value) is type(expected[name]), name  # e.g. an enum member, a Decimal
        trimmed = isinstance(value, str) and spec.fields[name] is not TEXT
        if trimmed and isinstance(raw["data"].get(name), str):
            text = raw["data"][name].strip()
            assert value in {text, text.lower(), text.upper()}  # trimmed; cased if enum/currency
    currency = getattr(event.data, "currency", None)
    if currency is not None:
        assert currency == raw["data"]["currency"].strip().upper()


@settings(max_examples=50, deadline=None)
@given(case=cases())
def test_amounts_are_exact_decimals_written_as_strings(
    case: tuple[Canonical, dict[str, Any]],
) -> None:
    canonical, raw = case
    written = event_to_dict(validate_event(raw, now=NOW))["data"]
    for name, value in canonical.data.items():
        if isinstance(value, Decimal):
            assert isinstance(written[name], str)
            assert Decimal(written[name]) == value


@settings(max_examples=75, deadline=None)
@given(data=st.data())
def test_the_derived_id_depends_on_the_content_alone(data: st.DataObject) -> None:
    canonical = data.draw(canonical_events(with_id=False))
    first = validate_event(data.draw(render(canonical)), now=NOW)
    second = validate_event(data.draw(render(canonical)), now=NOW)  # another spelling
    assert DERIVED_ID.fullmatch(first.id)
    assert first.id == second.id == derive_event_id(first)
    assert first == second

    given_id = dataclasses.replace(canonical, id="given-id")
    with_id = validate_event(data.draw(render(given_id)), now=NOW)
    assert with_id.id == "given-id"
    assert derive_event_id(with_id) == first.id  # a given id is no part of the content


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_changing_any_field_changes_the_derived_id(data: st.DataObject) -> None:
    before = data.draw(canonical_events(with_id=False))
    spec = DATA[before.type]
    path = data.draw(st.sampled_from([*CONTENT_FIELDS, *(f"data.{n}" for n in spec.fields)]))
    if path.startswith("data."):
        name = path.removeprefix("data.")
        values = replacement_values(before.type, name, before.data)
        if name not in spec.required:
            values = st.one_of(st.none(), values)  # None: the field left out
        value = data.draw(values)
        changed = {k: v for k, v in before.data.items() if k != name}
        if value is not None:
            changed[name] = value
        after = dataclasses.replace(before, data=changed)
        same = expected_data(after) == expected_data(before)
    elif path == "account_id":
        after = dataclasses.replace(before, account_id=data.draw(account_ids))
        same = after.account_id == before.account_id
    elif path == "occurred_at":
        after = dataclasses.replace(before, occurred_at=data.draw(occurrence_times))
        same = after.occurred_at == before.occurred_at
    else:
        after = dataclasses.replace(before, source=data.draw(st.one_of(st.none(), sources)))
        same = after.source == before.source

    before_id = validate_event(data.draw(render(before)), now=NOW).id
    after_id = validate_event(data.draw(render(after)), now=NOW).id
    assert (before_id == after_id) == same, path


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


@settings(max_examples=50, deadline=None)
@given(data=st.data(), path=st.sampled_from(["occurred_at", "data.due_at"]))
def test_an_unparseable_or_naive_timestamp_is_rejected(data: st.DataObject, path: str) -> None:
    raw = data.draw(valid_events("invoice.issued"))
    naive = data.draw(st.booleans())
    put(raw, path, data.draw(naive_timestamps if naive else unparseable_timestamps))
    errors = rejected(raw)
    assert [error.path for error in errors] == [path]
    if naive:
        assert "has no timezone" in errors[0].message


@st.composite
def rfc_3339_shaped(draw: st.DrawFn) -> tuple[str, datetime | None]:
    """A string of RFC 3339's shape with fields in range or not, and the UTC instant it names
    (None if none), worked out without the `datetime` parsers the code under test uses."""
    year = draw(st.one_of(st.integers(0, 9999), st.sampled_from([1, 9999])))
    month, day = draw(st.integers(0, 13)), draw(st.integers(0, 32))
    hour, minute, second = (
        draw(st.integers(0, 24)),
        draw(st.integers(0, 60)),
        draw(st.integers(0, 60)),
    )
    digits = draw(st.text("0123456789", max_size=9))
    sign, zone_hours, zone_minutes = (
        draw(st.sampled_from("+-Z")),
        draw(st.integers(0, 25)),
        draw(st.integers(0, 99)),
    )
    zone = "Z" if sign == "Z" else f"{sign}{zone_hours:02d}:{zone_minutes:02d}"
    text = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"
    text += (f".{digits}" if digits else "") + zone
    offset = 0 if sign == "Z" else (1 if sign == "+" else -1) * (zone_hours * 60 + zone_minutes)
    try:
        if sign != "Z" and (zone_hours > 23 or zone_minutes > 59):
            raise ValueError("offset out of range")
        micro = int(digits[:6].ljust(6, "0"))
        local = datetime(year, month, day, hour, minute, second, micro)  # checks each field
        return text, (local - timedelta(minutes=offset)).replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return text, None


@settings(max_examples=200, deadline=None)
@given(raw=valid_events("invoice.issued"), case=rfc_3339_shaped())
def test_a_timestamp_names_the_instant_its_fields_say(
    raw: dict[str, Any], case: tuple[str, datetime | None]
) -> None:
    """Accepted exactly when every field is in range, in upper or lower case alike."""
    text, expected = case

    def outcome(timestamp: str) -> object:
        raw["data"]["due_at"] = timestamp
        try:
            return validate_event(raw, now=NOW).data.due_at  # type: ignore[union-attr]
        except EventValidationError as error:
            return [e.path for e in error.errors]

    assert outcome(text) == (["data.due_at"] if expected is None else expected)
    assert outcome(text.replace("T", "t").replace("Z", "z")) == outcome(text)


@settings(max_examples=50, deadline=None)
@given(raw=any_valid_event(), data=st.data())
def test_a_time_more_than_24_hours_ahead_is_rejected(
    raw: dict[str, Any], data: st.DataObject
) -> None:
    raw["occurred_at"] = data.draw(future_times.flatmap(timestamp_spellings))
    errors = rejected(raw)
    assert [error.path for error in errors] == ["occurred_at"]
    assert "more than 24 h after now" in errors[0].message


@settings(max_examples=10, deadline=None)
@given(raw=any_valid_event())
def test_the_24_hour_limit_is_inclusive(raw: dict[str, Any]) -> None:
    raw["occurred_at"] = "2026-11-21T12:00:00Z"
    assert validate_event(raw, now=NOW).occurred_at == LATEST
    raw["occurred_at"] = "2026-11-21T14:00:00.000001+02:00"
    assert rejected_paths(raw) == ["occurred_at"]


@settings(max_examples=75, deadline=None)
@given(
    raw=any_valid_event(),
    prefix=st.text(ACCOUNT_ID_CHARS, min_size=1, max_size=60),
    char=st.characters(exclude_characters=ACCOUNT_ID_CHARS, exclude_categories=["Cs"]),
    suffix=st.text(ACCOUNT_ID_CHARS, min_size=1, max_size=60),
    data=st.data(),
)
def test_an_account_id_with_a_forbidden_character_is_rejected(
    raw: dict[str, Any], prefix: str, char: str, suffix: str, data: st.DataObject
) -> None:
    raw["account_id"] = data.draw(padded(prefix + char + suffix))
    errors = rejected(raw)
    assert [error.path for error in errors] == ["account_id"]
    assert errors[0].message.startswith(f"character {char!r} at position {len(prefix)} ")


@settings(max_examples=75, deadline=None)
@given(raw=any_valid_event(), bad=st.text(max_size=30))
def test_an_unknown_type_is_reported_at_type(raw: dict[str, Any], bad: str) -> None:
    assume(bad.strip().lower() not in EVENT_TYPES)
    raw["type"] = bad
    errors = rejected(raw)
    assert [error.path for error in errors] == ["type"]
    assert errors[0].message.startswith(f"unknown event type {bad!r}; expected one of: ")


@settings(max_examples=25, deadline=None)
@given(raw=any_valid_event(), bad=NON_OBJECTS.filter(lambda value: not isinstance(value, str)))
def test_a_type_that_is_no_string_is_reported_at_type(raw: dict[str, Any], bad: object) -> None:
    raw["type"] = bad
    assert rejected_paths(raw) == ["type"]


@settings(max_examples=50, deadline=None)
@given(value=st.one_of(NON_OBJECTS, st.lists(any_valid_event(), min_size=1, max_size=2)))
def test_input_that_is_no_object_is_rejected_as_a_whole(value: object) -> None:
    assert rejected_paths(value) == [""]
    with pytest.raises(EventValidationError) as caught:
        event_from_json(orjson.dumps(value), now=NOW)
    assert [error.path for error in caught.value.errors] == [""]


@settings(max_examples=25, deadline=None)
@given(raw=any_valid_event(), cut=st.integers(1, 40))
def test_malformed_json_is_rejected_as_a_whole(raw: dict[str, Any], cut: int) -> None:
    encoded = orjson.dumps(raw)
    with pytest.raises(EventValidationError) as caught:
        event_from_json(encoded[:-cut], now=NOW)
    assert [error.path for error in caught.value.errors] == [""]


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
