"""Property tests of every event type: valid input round-trips, mutated input is rejected
at the right path."""

from __future__ import annotations

import copy
import re
from datetime import UTC, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pulse.common.events import (
    EVENT_MODELS,
    EVENT_TYPES,
    EventValidationError,
    event_from_json,
    event_to_json,
    validate_event,
)
from pulse.common.testing.strategies import NOW, raw_events

ID = re.compile(r"evt_[0-9a-f]{32}")


def rejected_paths(raw: object) -> list[str]:
    with pytest.raises(EventValidationError) as caught:
        validate_event(raw, now=NOW)
    return [error.path for error in caught.value.errors]


def required_fields(event_type: str) -> list[str]:
    data_model = EVENT_MODELS[event_type].model_fields["data"].annotation
    assert data_model is not None
    return [name for name, f in data_model.model_fields.items() if f.is_required()]


@pytest.mark.parametrize("event_type", EVENT_TYPES)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_valid_events_round_trip_and_normalise(event_type: str, data: st.DataObject) -> None:
    raw = data.draw(raw_events(event_type))
    event = validate_event(raw, now=NOW)
    assert event.type == event_type
    assert event.account_id == raw["account_id"].strip()
    assert event.occurred_at.tzinfo == UTC
    assert event.occurred_at <= NOW + timedelta(hours=24)
    if "id" in raw:
        assert event.id == raw["id"].strip()
    else:
        assert ID.fullmatch(event.id)
    again = event_from_json(event_to_json(event), now=NOW)
    assert again == event
    assert event_to_json(again) == event_to_json(event)
    currency = getattr(event.data, "currency", None)
    assert currency is None or currency == currency.upper()


@settings(max_examples=150, deadline=None)
@given(raw=raw_events())
def test_derived_ids_are_stable_and_follow_the_content(raw: dict[str, Any]) -> None:
    raw.pop("id", None)
    first = validate_event(raw, now=NOW)
    assert validate_event(copy.deepcopy(raw), now=NOW).id == first.id
    changed = copy.deepcopy(raw)
    changed["account_id"] = first.account_id + "x" if len(first.account_id) < 128 else "other"
    assert validate_event(changed, now=NOW).id != first.id


@settings(max_examples=150, deadline=None)
@given(raw=raw_events(), data=st.data())
def test_a_missing_required_field_is_named(raw: dict[str, Any], data: st.DataObject) -> None:
    event_type = raw["type"].strip().lower()
    required = required_fields(event_type)
    if required:
        field = data.draw(st.sampled_from(required))
        del raw["data"][field]
        assert rejected_paths(raw) == [f"data.{field}"]
    top = data.draw(st.sampled_from(["type", "account_id", "occurred_at", "data"]))
    del raw[top]
    assert top in rejected_paths(raw)


@settings(max_examples=150, deadline=None)
@given(raw=raw_events(), where=st.sampled_from(["", "data."]))
def test_an_unknown_field_is_named(raw: dict[str, Any], where: str) -> None:
    (raw["data"] if where else raw)["colour"] = "blue"
    assert rejected_paths(raw) == [f"{where}colour"]


@settings(max_examples=150, deadline=None)
@given(raw=raw_events(), bad=st.sampled_from([42, 1.5, True, None, [], {}]))
def test_a_wrongly_typed_id_field_is_named(raw: dict[str, Any], bad: object) -> None:
    event_type = raw["type"].strip().lower()
    text_fields = [f for f in required_fields(event_type) if f.endswith("_id") or f == "name"]
    if not text_fields:
        return
    raw["data"][text_fields[0]] = bad
    assert rejected_paths(raw) == [f"data.{text_fields[0]}"]


@settings(max_examples=100, deadline=None)
@given(
    raw=raw_events(),
    bad=st.sampled_from(
        ["yesterday", "2026-13-01T00:00:00Z", "2026-11-20T10:00:00", "2026-11-20", "", 1700000000]
    ),
)
def test_a_bad_timestamp_is_rejected(raw: dict[str, Any], bad: object) -> None:
    raw["occurred_at"] = bad
    assert rejected_paths(raw) == ["occurred_at"]


@settings(max_examples=100, deadline=None)
@given(raw=raw_events(), hours=st.integers(25, 24 * 365))
def test_more_than_a_day_ahead_is_rejected(raw: dict[str, Any], hours: int) -> None:
    raw["occurred_at"] = (NOW + timedelta(hours=hours)).isoformat()
    assert rejected_paths(raw) == ["occurred_at"]


@settings(max_examples=100, deadline=None)
@given(raw=raw_events(), char=st.sampled_from([" ", "/", "#", "é", "\n", "%", ","]))
def test_a_forbidden_account_character_is_rejected(raw: dict[str, Any], char: str) -> None:
    raw["account_id"] = f"acme{char}corp"
    assert rejected_paths(raw) == ["account_id"]


@settings(max_examples=100, deadline=None)
@given(raw=raw_events(), bad_type=st.text(min_size=1, max_size=20))
def test_an_unknown_type_is_rejected_at_type(raw: dict[str, Any], bad_type: str) -> None:
    if bad_type.strip().lower() in EVENT_TYPES:
        return
    raw["type"] = bad_type
    assert rejected_paths(raw) == ["type"]


@pytest.mark.parametrize("raw", [[], "event", 42, None, True])
def test_a_non_object_is_rejected_as_a_whole(raw: object) -> None:
    assert rejected_paths(raw) == [""]


@pytest.mark.parametrize(
    ("data", "path"),
    [
        (
            {
                "invoice_id": "i",
                "amount": "-1",
                "currency": "EUR",
                "due_at": "2026-12-01T00:00:00Z",
            },
            "data.amount",
        ),
        (
            {
                "invoice_id": "i",
                "amount": "1.23456",
                "currency": "EUR",
                "due_at": "2026-12-01T00:00:00Z",
            },
            "data.amount",
        ),
        (
            {
                "invoice_id": "i",
                "amount": "NaN",
                "currency": "EUR",
                "due_at": "2026-12-01T00:00:00Z",
            },
            "data.amount",
        ),
        (
            {
                "invoice_id": "i",
                "amount": "10",
                "currency": "XYZ",
                "due_at": "2026-12-01T00:00:00Z",
            },
            "data.currency",
        ),
        ({"invoice_id": "i", "amount": "10", "currency": "EUR", "due_at": "soon"}, "data.due_at"),
    ],
)
def test_money_and_dates_of_invoices(data: dict[str, Any], path: str) -> None:
    raw = {
        "type": "invoice.issued",
        "account_id": "a",
        "occurred_at": "2026-11-20T10:00:00Z",
        "data": data,
    }
    assert rejected_paths(raw) == [path]


@pytest.mark.parametrize(
    ("kind", "score"),
    [("nps", 11), ("nps", -1), ("csat", 0), ("csat", 6), ("ces", 8), ("nps", "9")],
)
def test_survey_scores_out_of_their_kind_range(kind: str, score: object) -> None:
    raw = {
        "type": "survey.response",
        "account_id": "a",
        "occurred_at": "2026-11-20T10:00:00Z",
        "data": {"kind": kind, "score": score},
    }
    assert rejected_paths(raw) == ["data.score"]


def test_amounts_keep_their_exact_decimal_value() -> None:
    raw = {
        "type": "invoice.issued",
        "account_id": "a",
        "occurred_at": "2026-11-20T10:00:00Z",
        "data": {
            "invoice_id": "i",
            "amount": 0.1,
            "currency": "eur",
            "due_at": "2026-12-01T00:00:00Z",
        },
    }
    event = validate_event(raw, now=NOW)
    assert str(event.data.amount) == "0.1"  # type: ignore[union-attr]
    assert b'"amount":"0.1"' in event_to_json(event)
