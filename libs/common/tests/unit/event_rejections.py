"""Shared helpers of the event rejection tests: what a raw event is rejected with, and edits."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import strategies as st

from pulse.common.events import EventValidationError, FieldError, validate_event

from .event_values import NOW, json_integers

#: JSON values that are not objects.
NON_OBJECTS = st.recursive(
    st.one_of(
        st.none(), st.booleans(), json_integers, st.floats(allow_nan=False), st.text(max_size=10)
    ),
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=5,
)


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


def put(raw: dict[str, Any], path: str, value: object) -> None:
    """Set a field of a raw event by its path (`account_id`, `data.amount`)."""
    if path.startswith("data."):
        raw["data"][path.removeprefix("data.")] = value
    else:
        raw[path] = value
