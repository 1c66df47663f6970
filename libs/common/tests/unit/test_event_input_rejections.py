"""Property tests rejecting bad timestamps, account ids, types and input that is no event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pulse.common.events import EVENT_TYPES, EventValidationError, event_from_json, validate_event

from .event_rejections import NON_OBJECTS, put, rejected, rejected_paths
from .event_strategies import any_valid_event, valid_events
from .event_values import (
    ACCOUNT_ID_CHARS,
    LATEST,
    NOW,
    future_times,
    naive_timestamps,
    padded,
    timestamp_spellings,
    unparseable_timestamps,
)


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


@settings(max_examples=30, deadline=None)
@given(
    raw=any_valid_event(),
    moment=st.sampled_from(["0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z",
                            "1999-12-31T23:59:59.999999Z", "2000-01-01T00:59:59+01:00"]),
)  # fmt: skip
def test_a_time_before_the_floor_is_rejected_naming_the_floor(
    raw: dict[str, Any], moment: str
) -> None:
    raw["occurred_at"] = moment
    errors = rejected(raw)
    assert [error.path for error in errors] == ["occurred_at"]
    assert "is before 2000-01-01T00:00:00Z, the earliest event time accepted" in errors[0].message
    assert "PULSE_EVENT_TIME_FLOOR" in errors[0].message


@settings(max_examples=10, deadline=None)
@given(raw=any_valid_event())
def test_the_floor_is_inclusive_and_the_caller_may_move_it(raw: dict[str, Any]) -> None:
    raw["occurred_at"] = "2000-01-01T00:00:00Z"
    assert validate_event(raw, now=NOW).occurred_at == datetime(2000, 1, 1, tzinfo=UTC)
    raw["occurred_at"] = "1990-06-01T00:00:00Z"
    lower = datetime(1990, 1, 1, tzinfo=UTC)
    assert validate_event(raw, now=NOW, floor=lower).occurred_at.year == 1990
    with pytest.raises(EventValidationError, match="is before 2020-01-01T00:00:00Z"):
        validate_event(raw, now=NOW, floor=datetime(2020, 1, 1, tzinfo=UTC))
    encoded = orjson.dumps(raw)
    assert event_from_json(encoded, now=NOW, floor=lower).occurred_at.year == 1990


@settings(max_examples=30, deadline=None)
@given(raw=any_valid_event(), dots=st.integers(1, 128), data=st.data())
def test_an_account_id_made_only_of_dots_is_rejected(
    raw: dict[str, Any], dots: int, data: st.DataObject
) -> None:
    raw["account_id"] = data.draw(padded("." * dots))
    errors = rejected(raw)
    assert [error.path for error in errors] == ["account_id"]
    assert errors[0].message.startswith(f"account id {'.' * dots!r} is made only of dots")
    raw["account_id"] = "." * (dots - 1) + "a"  # a dot beside anything else is fine
    assert validate_event(raw, now=NOW).account_id == "." * (dots - 1) + "a"


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
