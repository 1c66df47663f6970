"""Property tests of valid events (design §3), for all 16 event types.

Every raw spelling validates to the canonical event it was drawn from (types and enum values
lower-cased and trimmed, currencies upper-cased, ids trimmed, times in UTC), reads back from its
own JSON, and carries an id derived from its content alone. Invalid input is rejected in
`test_event_field_rejections` and `test_event_input_rejections`.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from datetime import UTC, timedelta
from decimal import Decimal
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pulse.common.events import (
    EVENT_MODELS,
    EVENT_TYPES,
    derive_event_id,
    event_from_json,
    event_to_dict,
    event_to_json,
    validate_event,
)

from .event_fields import DATA, TEXT, data_default, replacement_values
from .event_strategies import Canonical, canonical_events, cases, render, valid_events
from .event_values import LATEST, NOW, account_ids, occurrence_times, sources

DERIVED_ID = re.compile(r"evt_[0-9a-f]{32}")
#: Envelope fields whose value is part of the content an id is derived from.
CONTENT_FIELDS = ("account_id", "occurred_at", "source")


# --- helpers ----------------------------------------------------------------------------------


def expected_data(event: Canonical) -> dict[str, Any]:
    """Every data field's expected value: the canonical one, else the model's default."""
    return {
        name: event.data.get(name, data_default(event.type, name))
        for name in DATA[event.type].fields
    }


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
