"""Hypothesis strategies of raw events (what clients send) for all 16 event types (design §3).

An event is drawn in two steps. First a `Canonical` event: the values validation must yield
(trimmed ids, lower-case enum members, upper-case currencies, `Decimal` amounts, UTC times).
Then one of its many equivalent raw spellings (`render`): enum values and types in odd case
with whitespace around them, currencies in mixed case, amounts as decimal strings, integers or
floats, timestamps at any UTC offset with 0-9 fractional digits, ids padded with whitespace,
optional fields absent or `null`, keys in any order. Two spellings of one canonical event must
validate to equal events with one derived id; a test can compare a validated event with the
canonical values it came from.

Every timestamp is at most 24 h after `NOW`; validate with `validate_event(raw, now=NOW)`.
Each field also has strategies of wrongly typed and out-of-range values, for rejection tests.
Single values and their spellings are in `event_values`, the per-field specs in `event_fields`;
this module draws whole events from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hypothesis import strategies as st

from pulse.common.events import EVENT_TYPES

from .event_fields import DATA, nullable, survey_scores
from .event_values import (
    account_ids,
    event_ids,
    occurrence_times,
    odd_case,
    padded,
    sources,
    timestamp_spellings,
)

# --- events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Canonical:
    """An event as validation must produce it; `data` holds the fields that are present."""

    type: str
    account_id: str
    occurred_at: datetime
    data: Mapping[str, Any]
    id: str | None = None
    source: str | None = None


@st.composite
def canonical_data(draw: st.DrawFn, event_type: str) -> dict[str, Any]:
    """Canonical `data` of one type: every required field, each optional one perhaps."""
    spec = DATA[event_type]
    data: dict[str, Any] = {}
    for name, field_spec in spec.fields.items():
        if name in spec.required or draw(st.booleans()):
            data[name] = draw(field_spec.values)
    if event_type == "survey.response":
        data["score"] = draw(survey_scores(data["kind"]))
    return data


@st.composite
def canonical_events(
    draw: st.DrawFn, event_type: str | None = None, *, with_id: bool | None = None
) -> Canonical:
    """A canonical event of `event_type` (else any type), with an id or not (else either)."""
    kind = event_type if event_type is not None else draw(st.sampled_from(EVENT_TYPES))
    has_id = draw(st.booleans()) if with_id is None else with_id
    return Canonical(
        type=kind,
        account_id=draw(account_ids),
        occurred_at=draw(occurrence_times),
        data=draw(canonical_data(kind)),
        id=draw(event_ids) if has_id else None,
        source=draw(st.one_of(st.none(), sources)),
    )


@st.composite
def _shuffled(draw: st.DrawFn, fields: dict[str, Any]) -> dict[str, Any]:
    order = draw(st.permutations(list(fields)))
    return {name: fields[name] for name in order}


@st.composite
def render_data(draw: st.DrawFn, event_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """A raw spelling of canonical `data`; absent nullable fields are perhaps `null`."""
    raw: dict[str, Any] = {}
    for name, field_spec in DATA[event_type].fields.items():
        if name in data:
            raw[name] = draw(field_spec.render(data[name]))
        elif nullable(event_type, name) and draw(st.integers(0, 3)) == 0:
            raw[name] = None
    return draw(_shuffled(raw))


@st.composite
def render(draw: st.DrawFn, event: Canonical) -> dict[str, Any]:
    """A raw spelling of a canonical event, as a client might send it."""
    raw: dict[str, Any] = {
        "type": draw(odd_case(event.type)),
        "account_id": draw(padded(event.account_id)),
        "occurred_at": draw(timestamp_spellings(event.occurred_at)),
        "data": draw(render_data(event.type, event.data)),
    }
    if event.id is not None:
        raw["id"] = draw(padded(event.id))
    elif draw(st.booleans()):
        raw["id"] = None  # null means absent: the id is derived
    if event.source is not None or draw(st.booleans()):
        raw["source"] = event.source
    return draw(_shuffled(raw))


def cases(
    event_type: str | None = None, *, with_id: bool | None = None
) -> st.SearchStrategy[tuple[Canonical, dict[str, Any]]]:
    """A canonical event and one raw spelling of it."""
    return canonical_events(event_type, with_id=with_id).flatmap(
        lambda event: render(event).map(lambda raw: (event, raw))
    )


def valid_events(
    event_type: str, *, with_id: bool | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid raw events of one type."""
    return canonical_events(event_type, with_id=with_id).flatmap(render)


def any_valid_event(*, with_id: bool | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """A valid raw event of any of the 16 types."""
    return st.one_of([valid_events(t, with_id=with_id) for t in EVENT_TYPES])
