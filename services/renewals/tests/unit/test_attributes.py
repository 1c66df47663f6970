"""Attribute histories: late updates insert into the past, absent fields leave values."""

from __future__ import annotations

from datetime import UTC, datetime

from pulse.common.events import AccountUpdated, validate_event
from pulse.renewals.contracts.attributes import (
    Attribute,
    AttributeHistory,
    AttributeUpdate,
    attribute_update,
)

from .builders import day

SEGMENT, OWNER = Attribute.SEGMENT, Attribute.OWNER


def history(*updates: AttributeUpdate) -> AttributeHistory:
    attributes = AttributeHistory()
    for update in updates:
        attributes.apply(update)
    return attributes


def test_the_value_at_a_moment_is_the_newest_set_before_it() -> None:
    attributes = history(
        AttributeUpdate("u2", day(2026, 6, 1), {SEGMENT: "high_touch"}),  # arrives first
        AttributeUpdate("u1", day(2026, 1, 1), {SEGMENT: "low_touch", OWNER: "ana"}),
        AttributeUpdate("u3", day(2026, 9, 1), {OWNER: "ben"}),  # no segment: it stays
    )
    assert attributes.value_at(SEGMENT, day(2026, 1, 1)) is None  # set at, not before
    assert attributes.value_at(SEGMENT, day(2026, 3, 1)) == "low_touch"
    assert attributes.value_at(SEGMENT, day(2026, 10, 1)) == "high_touch"
    assert attributes.value_at(OWNER, day(2026, 10, 1)) == "ben"
    assert attributes.first_value_between(OWNER, day(2026, 2, 1), day(2026, 12, 1)) == "ben"
    assert attributes.first_value_between(OWNER, day(2026, 2, 1), day(2026, 9, 1)) is None


def test_a_replayed_update_changes_nothing() -> None:
    first = AttributeUpdate("u1", day(2026, 1, 1), {SEGMENT: "low_touch"})
    attributes = history(first)
    assert not attributes.apply(AttributeUpdate("u1", day(2026, 2, 1), {SEGMENT: "tech"}))
    assert attributes.value_at(SEGMENT, day(2026, 3, 1)) == "low_touch"


def test_the_edge_keeps_the_grouping_attributes_an_update_carried() -> None:
    event = validate_event(
        {
            "id": "u-9",
            "type": "account.updated",
            "account_id": "acme",
            "occurred_at": "2026-02-03T10:00:00Z",
            "data": {"segment": "HIGH_TOUCH", "plan": "enterprise", "arr": 1000},
        },
        now=datetime(2026, 2, 3, 10, tzinfo=UTC),
    )
    assert isinstance(event, AccountUpdated)
    update = attribute_update(event.id, event.occurred_at, event.data)
    assert update.values == {SEGMENT: "high_touch", Attribute.PLAN: "enterprise"}
