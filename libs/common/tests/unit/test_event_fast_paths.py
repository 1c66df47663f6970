"""The fast paths of event fields (`fields.NORMAL`): whatever one accepts, the field's
parser accepts too and makes the same value of, so the fast path changes speed only."""

from __future__ import annotations

import math
from typing import Any, get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from pulse.common.events import fields

FIELDS: dict[str, Any] = {
    "AccountId": fields.AccountId,
    "EventId": fields.EventId,
    "ExternalId": fields.ExternalId,
    "Number": fields.Number,
    "Quantity": fields.Quantity,
}
# Text made to hit the edges: white space and control characters of every kind, at the
# ends and inside, and lengths around the limits.
EDGE_CHARACTERS = st.sampled_from(
    [" ", "\t", "\n", "\x00", "\x1c", "\x1f", "\x7f", "\x85", "\x9f", "\xa0", "\u1680",
     "\u2000", "\u2028", "\u202f", "\u3000", "\ufeff", "a", "Z", "0", ".", "-", "@", "é", "😀"]
)  # fmt: skip
TEXTS = st.one_of(
    st.text(EDGE_CHARACTERS, max_size=8),
    st.text(max_size=20),
    st.integers(120, 260).map(lambda n: "a" * n),
    st.tuples(st.integers(0, 3), st.integers(120, 260)).map(lambda p: " " * p[0] + "b" * p[1]),
)
VALUES = st.one_of(
    TEXTS,
    st.floats(),
    st.integers(-(2**70), 2**70),
    st.booleans(),
    st.none(),
    st.just(-0.0),
)


def paths(field: Any) -> tuple[TypeAdapter[Any], TypeAdapter[Any]]:
    """(fast path, parsed path) of a field type with a fast path."""
    union, _ = get_args(field)
    fast, parsed = get_args(union)
    return TypeAdapter(fast), TypeAdapter(parsed)


def outcome(adapter: TypeAdapter[Any], value: object) -> tuple[bool, object]:
    try:
        return True, adapter.validate_python(value)
    except ValidationError:
        return False, None


@pytest.mark.parametrize("name", sorted(FIELDS))
@settings(max_examples=400, deadline=None)
@given(value=VALUES)
def test_what_the_fast_path_accepts_the_parser_accepts_alike(name: str, value: object) -> None:
    fast, parsed = paths(FIELDS[name])
    fast_ok, fast_value = outcome(fast, value)
    if not fast_ok:
        return
    parsed_ok, parsed_value = outcome(parsed, value)
    assert parsed_ok, f"{name}: the fast path accepts {value!r}, the parser does not"
    assert type(fast_value) is type(parsed_value)
    assert fast_value == parsed_value
    if isinstance(fast_value, float):
        assert math.copysign(1, fast_value) == math.copysign(1, parsed_value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "value"),
    [("AccountId", "acct-00042"), ("EventId", "evt_0123abcd"), ("ExternalId", "user 42"),
     ("Number", 17.0), ("Quantity", 3)],
)  # fmt: skip
def test_values_in_normal_form_take_the_fast_path(name: str, value: object) -> None:
    fast, _ = paths(FIELDS[name])
    assert outcome(fast, value)[0]


@pytest.mark.parametrize(
    ("name", "value", "normal"),
    [("AccountId", " acct-1 ", "acct-1"), ("EventId", "evt_1\u3000", "evt_1"),
     ("ExternalId", "\tu1", "u1"), ("Number", -0.0, 0.0), ("Quantity", 0, 0.0)],
)  # fmt: skip
def test_values_to_normalise_take_the_parser(name: str, value: object, normal: object) -> None:
    fast, _ = paths(FIELDS[name])
    assert not outcome(fast, value)[0]
    assert TypeAdapter(FIELDS[name]).validate_python(value) == normal
