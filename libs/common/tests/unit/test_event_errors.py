"""The wording of event validation errors: each says what was expected and what arrived."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from pulse.common.events import (
    EVENT_TYPES,
    EventValidationError,
    FieldError,
    event_from_json,
    validate_event,
)

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
KNOWN_TYPES = ", ".join(EVENT_TYPES)


def event(event_type: str = "invoice.paid", **data: Any) -> dict[str, Any]:
    return {
        "type": event_type,
        "account_id": "acme",
        "occurred_at": "2026-11-20T10:00:00Z",
        "data": data or {"invoice_id": "inv-1"},
    }


def errors_of(raw: object) -> list[FieldError]:
    with pytest.raises(EventValidationError) as caught:
        validate_event(raw, now=NOW)
    return caught.value.errors


def test_a_misspelled_top_level_field_gets_a_did_you_mean_hint() -> None:
    raw = event()
    raw["acount_id"] = raw.pop("account_id")
    assert errors_of(raw) == [
        FieldError("account_id", "field required"),
        FieldError(
            "acount_id",
            "unknown field 'acount_id' (did you mean 'account_id'?); "
            "expected one of: id, type, account_id, occurred_at, source, data",
        ),
    ]


def test_a_misspelled_data_field_gets_a_did_you_mean_hint() -> None:
    raw = event(
        "invoice.issued",
        invoice_id="inv-1",
        amount="10",
        currency="EUR",
        due_at="2026-12-01T00:00:00Z",
    )
    raw["data"]["curency"] = raw["data"].pop("currency")
    assert errors_of(raw) == [
        FieldError("data.currency", "field required"),
        FieldError(
            "data.curency",
            "unknown field 'curency' (did you mean 'currency'?); "
            "expected one of: invoice_id, amount, currency, due_at",
        ),
    ]


def test_an_unknown_field_unlike_any_other_gets_no_hint() -> None:
    raw = event()
    raw["data"]["colour"] = "blue"
    assert errors_of(raw) == [
        FieldError("data.colour", "unknown field 'colour'; expected one of: invoice_id")
    ]


def test_an_unknown_type_lists_every_known_type() -> None:
    [error] = errors_of(event("invoice.pad"))
    assert error == FieldError(
        "type", f"unknown event type 'invoice.pad'; expected one of: {KNOWN_TYPES}"
    )
    for event_type in EVENT_TYPES:
        assert event_type in error.message
    assert len(EVENT_TYPES) == 16


def test_a_missing_or_non_string_type_lists_every_known_type() -> None:
    raw = event()
    del raw["type"]
    assert errors_of(raw) == [FieldError("type", f"field required; expected one of: {KNOWN_TYPES}")]
    raw["type"] = 42
    assert errors_of(raw) == [
        FieldError("type", f"expected a string, one of: {KNOWN_TYPES}; got 42")
    ]


@pytest.mark.parametrize(
    ("kind", "score", "message"),
    [
        ("nps", 11, "expected a nps score from 0 to 10, got 11"),
        ("NPS ", -1, "expected a nps score from 0 to 10, got -1"),
        ("csat", 6, "expected a csat score from 1 to 5, got 6"),
        ("csat", 0, "expected a csat score from 1 to 5, got 0"),
        ("Ces", 8, "expected a ces score from 1 to 7, got 8"),
    ],
)
def test_a_survey_score_out_of_range_names_the_kind_and_its_range(
    kind: str, score: int, message: str
) -> None:
    assert errors_of(event("survey.response", kind=kind, score=score)) == [
        FieldError("data.score", message)
    ]


def test_a_ticket_csat_out_of_range_names_the_bound() -> None:
    raw = event("support.ticket.resolved", ticket_id="t-1", csat=6)
    assert errors_of(raw) == [FieldError("data.csat", "expected at most 5, got 6")]


def test_amount_and_currency_errors_say_what_arrived() -> None:
    raw = event(
        "invoice.issued",
        invoice_id="i",
        amount="1.23456",
        currency="XYZ",
        due_at="2026-12-01T00:00:00Z",
    )
    assert errors_of(raw) == [
        FieldError("data.amount", "expected at most 4 decimal places, got 5 in '1.23456'"),
        FieldError(
            "data.currency", "expected an ISO 4217 currency code such as EUR or USD, got 'XYZ'"
        ),
    ]


def test_timestamp_errors_explain_the_fix() -> None:
    raw = event()
    raw["occurred_at"] = "2026-11-20T10:00:00"
    assert errors_of(raw) == [
        FieldError(
            "occurred_at",
            "timestamp '2026-11-20T10:00:00' has no timezone; "
            "add 'Z' for UTC or an offset such as '+02:00'",
        )
    ]
    raw["occurred_at"] = "2026-11-22T00:00:00+01:00"
    assert errors_of(raw) == [
        FieldError(
            "occurred_at",
            "timestamp 2026-11-21T23:00:00Z is more than 24 h after now (2026-11-20T12:00:00Z); "
            "send the time the event happened",
        )
    ]


def test_a_timestamp_out_of_the_representable_range_is_an_error_not_a_crash() -> None:
    raw = event()
    raw["occurred_at"] = "0001-01-01T00:00:00+01:00"
    [error] = errors_of(raw)
    assert error.path == "occurred_at"
    assert error.message.startswith(
        "timestamp '0001-01-01T00:00:00+01:00' is not a valid date and time: "
    )


def test_an_offset_minute_past_59_is_an_error() -> None:
    raw = event()
    raw["occurred_at"] = "2026-11-20T10:00:00+01:60"
    assert errors_of(raw) == [
        FieldError(
            "occurred_at",
            "timestamp '2026-11-20T10:00:00+01:60' is not a valid date and time: "
            "offset minutes 60 out of range 0..59",
        )
    ]


def test_an_account_id_error_names_the_character_and_its_position() -> None:
    raw = event()
    raw["account_id"] = " acme/corp "
    assert errors_of(raw) == [
        FieldError(
            "account_id",
            "character '/' at position 4 is not allowed; "
            "an account id takes 1 to 128 characters of A-Z a-z 0-9 . _ : @ -",
        )
    ]


def test_input_that_is_no_object_is_described_as_a_whole() -> None:
    with pytest.raises(EventValidationError) as caught:
        validate_event([event()], now=NOW)
    assert caught.value.errors == [FieldError("", "expected a JSON object, got array")]
    assert str(caught.value) == "(event): expected a JSON object, got array"
    assert caught.value.as_details() == [
        {"path": "", "message": "expected a JSON object, got array"}
    ]


def test_malformed_json_is_described_as_a_whole() -> None:
    with pytest.raises(EventValidationError) as caught:
        event_from_json(b'{"type": "invoice.paid",', now=NOW)
    [error] = caught.value.errors
    assert error.path == ""
    assert error.message.startswith("malformed JSON: ")


def test_the_message_joins_every_error_with_its_path() -> None:
    raw = event()
    raw["account_id"] = ""
    raw["data"] = {"invoice_id": 7}
    with pytest.raises(EventValidationError) as caught:
        validate_event(raw, now=NOW)
    assert str(caught.value) == (
        "account_id: expected 1 to 128 characters, got 0; data.invoice_id: expected a string, got 7"
    )


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ({**event(), "extra_1234": 1}, "unknown_field"),
        ({**event(), "data": {}}, "missing_field"),
        ({k: v for k, v in event().items() if k != "type"}, "missing_field"),
        ({**event(), "type": "no.such.type"}, "unknown_type"),
        ({**event(), "type": 7}, "wrong_type"),
        ({**event(), "account_id": 12}, "wrong_type"),
        ({**event(), "account_id": "a b"}, "bad_value"),
        ({**event(), "account_id": ".."}, "bad_value"),
        ({**event(), "account_id": "a" * 129}, "out_of_range"),
        (event("survey.response", kind="nps", score=11), "out_of_range"),
        (event("support.ticket.opened", ticket_id="t", priority="meh"), "bad_value"),
        ({**event(), "occurred_at": "0001-01-01T00:00:00Z"}, "bad_time"),
        ({**event(), "occurred_at": "2030-01-01T00:00:00Z"}, "bad_time"),
        ({**event(), "occurred_at": "yesterday"}, "bad_time"),
        ([event()], "not_an_object"),
    ],
)
def test_each_error_has_a_reason_code_from_a_closed_set(raw: object, reason: str) -> None:
    assert errors_of(raw)[0].reason == reason


def test_malformed_json_has_the_malformed_reason() -> None:
    with pytest.raises(EventValidationError) as caught:
        event_from_json(b'{"type":', now=NOW)
    assert caught.value.errors[0].reason == "malformed"
